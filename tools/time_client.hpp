// time_client.hpp - the smallest complete client of the TIME protocol: connect,
// send a command (N times, with a pause between), print each reply line, and
// say in an exit code what went wrong, if anything.
#pragma once

#include "config.hpp"
#include "protocol.hpp"

#include <chrono>
#include <cstdint>
#include <iosfwd>
#include <string>

namespace time_tools {

// The exit codes, as --help and docs/tools.md list them.
enum class client_exit : int {
    ok = 0,
    failure = 1,           // anything not listed below (an unexpected I/O error)
    bad_usage = 2,         // a bad flag or value
    cannot_connect = 3,    // the name did not resolve, or the connection was refused or unreachable
    timed_out = 4,         // no connection or no reply within --timeout
    unexpected_reply = 5,  // a reply that the command does not call for (an ERROR line included)
    closed_early = 6,      // the server closed or reset the connection before the reply
};

using seconds_d = std::chrono::duration<double>;

struct client_options {
    std::string host = "127.0.0.1";  // an IPv4 or IPv6 literal, or a name to resolve
    std::uint16_t port = time_server::default_port;
    time_server::command command = time_server::command::time;  // time, help or quit
    unsigned count = 1;                                         // requests on the one connection (QUIT: exactly 1)
    seconds_d interval{0.0};                                    // pause between two requests
    seconds_d timeout{5.0};                                     // for connecting, and for each reply
};

// The request line sent for a command: "TIME\r\n", "HELP\r\n" or "QUIT\r\n".
std::string request_line(time_server::command command);

// Runs one conversation on a single-threaded io_context. Reply lines (without
// CRLF) go to `out`; at most one error line goes to `err`. Returns the exit code.
client_exit run_client(const client_options& options, std::ostream& out, std::ostream& err);

}  // namespace time_tools
