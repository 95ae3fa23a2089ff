// time_bench.hpp - a load generator for the TIME protocol, built from Asio
// coroutines: what to run (bench_options), what it measured (bench_result),
// and run_bench() that does it. Its modes and figures follow the C load
// generator in bench/loadgen/, so the two can be compared (docs/tools.md).
#pragma once

#include "config.hpp"
#include "latency_histogram.hpp"

#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <cstdint>
#include <iosfwd>
#include <string>

namespace time_tools {

using seconds_d = std::chrono::duration<double>;

enum class bench_mode {
    pingpong,  // each connection: one TIME, its reply, again
    pipeline,  // each connection: `depth` TIMEs at once, all their replies, again
    churn,     // connect, "TIME\r\nQUIT\r\n", the reply, the server's close, again
    idle,      // open connections, hold them, then check that each still answers
};

const char* mode_name(bench_mode mode);

// What `completed` counts in a mode: "req", "replies" or "conns".
const char* unit_name(bench_mode mode);

inline constexpr unsigned default_idle_connections = 100;

struct bench_options {
    std::string host = "127.0.0.1";  // loopback only: see loopback_target.hpp
    std::uint16_t port = time_server::default_port;
    bench_mode mode = bench_mode::pingpong;
    unsigned connections = 1;  // idle: default_idle_connections unless given
    unsigned depth = 1;        // requests in flight per connection (pipeline only)
    seconds_d duration{4.0};   // the measured window
    seconds_d warmup{1.0};     // runs before the window, not counted
    seconds_d hold{5.0};       // idle: how long the connections stay quiet
    seconds_d timeout{10.0};   // for opening all connections, and for idle's recheck
    unsigned threads = 1;      // threads running the io_context
    bool json = false;         // also print loadgen's JSON line
    bool progress = true;      // a line on stderr each second, for runs over progress_threshold
};

// Runs shorter than this show no progress line.
inline constexpr seconds_d progress_threshold{3.0};

// What one run measured; errors are counted by kind like loadgen's.
struct bench_result {
    bench_options options;
    std::string target;              // the address actually used
    std::uint64_t completed = 0;     // in the window: replies (pingpong, pipeline) or connections (churn)
    std::uint64_t err_protocol = 0;  // a byte that is not part of "JAM dd:dd:dd\r\n", or a reply too many
    std::uint64_t err_eof = 0;       // the server closed a connection that expected a reply
    std::uint64_t err_io = 0;        // reset, broken pipe, any other socket error
    std::uint64_t err_connect = 0;   // a connect that failed, or a connection never opened
    std::uint64_t err_timeout = 0;   // no reply (or no close) within the phase's deadline
    std::uint64_t stalled = 0;       // connections that completed nothing in the window
    std::uint64_t opened = 0;        // connections opened and verified before the window
    std::uint64_t answered = 0;      // idle: connections that answered the recheck
    std::uint64_t dropped = 0;       // idle: connections the server closed while held
    std::uint64_t unanswered = 0;    // idle: connections that did not answer in time
    double open_s = 0.0;             // time to open every connection
    double cpu_s = 0.0;              // the process's CPU time (user + system) for the run
    double wall_s = 0.0;
    latency_histogram latency;  // per request (pingpong), per batch (pipeline), per connection (churn)

    std::uint64_t errors() const;
    double window_s() const;  // the measured window: the duration, 0 for idle
    double rate() const;      // completed per second of window
};

// Runs one benchmark against `target` on its own io_context and threads.
// Progress lines go to `progress`. Throws only for a failure of the generator
// itself (an exception that escaped a coroutine), never for a server's fault.
bench_result run_bench(const bench_options& options, const boost::asio::ip::tcp::endpoint& target,
                       std::ostream& progress);

// 0 only when there were no errors and something completed (idle: answered).
int bench_exit_code(const bench_result& result);

}  // namespace time_tools
