// time_bench_shard.hpp - a slice of time_bench's connections that shares one
// strand: their coroutines never run in parallel, so they update the shard's
// tally with plain increments, and the threads merge the tallies at the end,
// like loadgen's one epoll loop per thread.
#pragma once

#include "latency_histogram.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace time_tools {

// How one exchange went wrong, if it did.
enum class failure { none, protocol, early_close, io, connect, timeout };

// What a shard's connections counted; touched only on the shard's strand
// while a phase runs, and by the main thread between phases.
struct shard_tally {
    std::uint64_t completed = 0;
    std::uint64_t protocol = 0, early_close = 0, io = 0, connect = 0, timeout = 0;
    std::uint64_t stalled = 0, opened = 0, answered = 0, dropped = 0, unanswered = 0;
    latency_histogram latency;
};

struct shard {
    shard(boost::asio::io_context& io, std::size_t connection_count);

    shard(const shard&) = delete;
    shard& operator=(const shard&) = delete;

    boost::asio::strand<boost::asio::io_context::executor_type> strand;
    // One per connection; they stay open from one phase to the next
    // (open, measure, recheck). Churn reopens its sockets again and again.
    std::vector<boost::asio::ip::tcp::socket> sockets;
    shard_tally tally;

    // Each phase ends by its deadline: then the watchdog closes every socket,
    // and the pending operations fail with operation_aborted.
    boost::asio::steady_timer deadline_timer;
    bool deadline_passed = false;
    std::size_t next_socket = 0;  // open and recheck: the next socket a worker takes

    // Read by the progress line from another thread, hence atomic.
    std::atomic<std::size_t> running{0};  // coroutines of this phase still running
    std::atomic<std::uint64_t> replies_seen{0};
    std::atomic<std::uint64_t> errors_seen{0};

    void count(failure what);
};

}  // namespace time_tools
