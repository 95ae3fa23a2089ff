// time_bench_connection.hpp - the coroutines of time_bench, one per connection
// (or per worker that takes connections in turn), for each phase of a run.
// All of them run on their shard's strand.
#pragma once

#include "time_bench_shard.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <cstddef>
#include <string>

namespace time_tools {

// What the connections of the measuring phase share; read-only while it runs.
struct run_plan {
    boost::asio::ip::tcp::endpoint target;
    std::string batch;  // what each round sends: `depth` times "TIME\r\n"
    std::size_t depth = 1;
    std::chrono::steady_clock::time_point window_start, window_end;

    bool in_window(std::chrono::steady_clock::time_point t) const { return t >= window_start && t < window_end; }
};

// Each of the coroutines below counts itself out of its shard's phase when it
// ends (shard::running), however it ends; the last one stops the watchdog.

// Open phase, one worker: takes the shard's sockets in turn, connects each and
// checks one TIME reply. A socket that fails is closed and counted.
boost::asio::awaitable<void> open_connections(shard& s, boost::asio::ip::tcp::endpoint target);

// pingpong and pipeline: sends the batch, reads every reply, again, until the
// window ends.
boost::asio::awaitable<void> exchange_requests(shard& s, std::size_t index, const run_plan& plan);

// churn: connect, TIME and QUIT, the reply, the server's close, again, until
// the window ends.
boost::asio::awaitable<void> churn_connections(shard& s, std::size_t index, const run_plan& plan);

// idle's recheck, one worker: sends TIME on each socket in turn, checks the reply.
boost::asio::awaitable<void> recheck_connections(shard& s);

// The phase's watchdog: at `deadline` closes every socket still open, unless
// the phase's last coroutine ended first and cancelled the wait.
boost::asio::awaitable<void> enforce_deadline(shard& s, std::chrono::steady_clock::time_point deadline);

}  // namespace time_tools
