// client_pool.hpp - many seeded coroutine clients on one io_context of their own,
// each a random mix of docs/protocol.md's traffic, every reply checked byte for byte.
#pragma once

#include <boost/asio/ip/tcp.hpp>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace stress {

// What one connection of a client does; a client runs one after another.
enum class scenario : std::size_t {
    time_chat,        // TIME round trips, then a plain close
    pipelined_burst,  // ~50 mixed requests in one write (or a few fragments)
    help,             // HELP round trips
    garbage,          // unknown commands: near misses, binary bytes, a max-length line
    overlong,         // valid requests, then a line over --max-line: the error, then EOF
    reset,            // requests, then SO_LINGER 0: a RST, maybe mid-reply
    half_close,       // requests (the last maybe unterminated), shutdown(SHUT_WR), replies, EOF
    idle_then_time,   // connects, stays silent a while, then TIME
    slow_reader,      // hundreds of requests, replies read late and in small bites
    quit,             // requests, QUIT and bytes after it: replies up to QUIT, EOF
};
inline constexpr std::size_t scenario_count = 10;

const char* to_string(scenario kind);

struct pool_options {
    boost::asio::ip::tcp::endpoint server;
    std::size_t clients = 1024;
    std::chrono::milliseconds duration{5000};  // scenarios start until then
    std::uint64_t seed = 1;
    std::size_t max_line_bytes = 1024;  // the server's --max-line
    std::string time_reply;             // what TIME gets from the server's fixed clock
    // A connection that is not done by then fails (and is closed) instead of
    // hanging the test.
    std::chrono::milliseconds connection_timeout{10000};
    // Called once every client holds a connection that answered TIME; its
    // result is kept in the report (the test passes the server's session count).
    std::function<std::size_t()> when_all_connected;
};

struct pool_report {
    std::array<std::size_t, scenario_count> connections_by_scenario{};
    std::size_t connections = 0;          // every connection opened, the held ones included
    std::size_t checked_replies = 0;      // replies compared byte for byte
    std::size_t peak_open = 0;            // most of this pool's connections open at once
    std::size_t fewest_scenarios = 0;     // scenarios run by the client that ran fewest
    std::size_t all_connected_value = 0;  // what when_all_connected returned
    bool all_connected = false;           // every client's held connection answered in time
    bool finished = false;                // every client ended before the pool's own deadline
    std::size_t failure_count = 0;
    std::vector<std::string> failures;  // the first few, each naming client, scenario and step
};

// Runs the pool on the calling thread and returns when every client is done
// (or a deadline well past options.duration has passed).
pool_report run_client_pool(const pool_options& options);

}  // namespace stress
