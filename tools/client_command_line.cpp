// client_command_line.cpp - CLI11 options of time_client, their defaults, and
// the exit codes that --help lists.
#include "client_command_line.hpp"

#include "command_line.hpp"

#include <CLI/CLI.hpp>

#include <ostream>

namespace time_tools {

namespace {

constexpr unsigned max_count = 1'000'000;
constexpr double max_seconds = 86'400.0;  // a day: longer is surely a typo

const char* const exit_codes_help =
    "Exit codes:\n"
    "  0  every reply was the expected one (QUIT: the server closed cleanly)\n"
    "  1  an unexpected I/O error\n"
    "  2  bad usage\n"
    "  3  cannot connect (name not resolved, connection refused, unreachable)\n"
    "  4  timeout: no connection or no reply within --timeout\n"
    "  5  unexpected reply (TIME: not 'JAM hh:mm:ss'; HELP: not the help line;\n"
    "     QUIT: any byte; an ERROR line is always unexpected)\n"
    "  6  the server closed or reset the connection before the expected reply\n";

// The commands the client knows what to expect from; spelled in any case,
// with spaces around, as the server reads them.
const CLI::Validator known_command(
    [](const std::string& text) {
        const auto parsed = time_server::parse_command(text);
        const bool known = parsed == time_server::command::time || parsed == time_server::command::help ||
                           parsed == time_server::command::quit;
        return known ? std::string() : "must be TIME, HELP or QUIT, not '" + text + "'";
    },
    "COMMAND");

}  // namespace

std::variant<client_options, int> parse_client_command_line(int argc, const char* const* argv, std::ostream& out,
                                                            std::ostream& err) {
    client_options options;
    std::string command = "TIME";
    double interval_seconds = options.interval.count();
    double timeout_seconds = options.timeout.count();

    CLI::App app("Sends TIME, HELP or QUIT to a TIME server and prints each reply line.", "time_client");
    app.footer(exit_codes_help);
    app.set_version_flag("--version", std::string("time_client ") + time_server::version());
    app.add_option("command,--command", command, "TIME, HELP or QUIT")->check(known_command)->capture_default_str();
    app.add_option("--host", options.host, "server: an IPv4 or IPv6 address, or a name")->capture_default_str();
    app.add_option("--port", options.port, "server's TCP port")->check(CLI::Range(1, 65535))->capture_default_str();
    app.add_option("--count", options.count, "requests to send on the one connection")
        ->check(CLI::Range(1U, max_count))
        ->capture_default_str();
    app.add_option("--interval", interval_seconds, "seconds to wait between two requests (fractions allowed)")
        ->check(CLI::Range(0.0, max_seconds))
        ->capture_default_str();
    app.add_option("--timeout", timeout_seconds, "seconds allowed for connecting, and for each reply")
        ->check(CLI::Range(0.001, max_seconds))
        ->capture_default_str();

    // 0 after --help or --version, 2 (client_exit::bad_usage) for a bad flag.
    if (const auto exit_code = time_server::parse_flags(app, argc, argv, out, err)) {
        return *exit_code;
    }

    options.command = time_server::parse_command(command);
    options.interval = seconds_d(interval_seconds);
    options.timeout = seconds_d(timeout_seconds);
    if (options.command == time_server::command::quit && options.count != 1) {
        err << "time_client: QUIT ends the conversation, so --count must be 1 (see --help)\n";
        return static_cast<int>(client_exit::bad_usage);
    }
    return options;
}

}  // namespace time_tools
