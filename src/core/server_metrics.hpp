// server_metrics.hpp - the counters an operator scrapes (docs/deploy.md):
// connections accepted and refused, requests by command, sessions by how they
// ended, accept errors. The sessions count; operations/metrics_text.cpp
// writes them out for Prometheus.
//
// Counting is on every request's path, so it takes no lock and shares no
// cache line between threads in the usual case: the counters are striped, and
// each thread adds to its own stripe with a relaxed atomic add. A scrape sums
// the stripes; it may see one thread's add a moment late, never a torn value.
#pragma once

#include "protocol.hpp"

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace time_server {

// How a session ended, as time_server_sessions_ended_total's `reason` label.
enum class session_end {
    client_closed,  // the client closed its end, every line answered
    quit,           // the client sent QUIT
    idle_timeout,   // no complete line within --idle-timeout
    line_too_long,  // a line passed --max-line
    io_error,       // a read or write failed (a reset, most often)
    server_stop,    // the server was stopping
    proxy_header,   // --proxy-protocol: the header was missing, bad, or late
};
inline constexpr std::size_t session_end_count = 7;

// The label values, in the enums' order.
inline constexpr std::array<std::string_view, session_end_count> session_end_labels = {
    "client_closed", "quit", "idle_timeout", "line_too_long", "io_error", "server_stop", "proxy_header"};
inline constexpr std::array<std::string_view, 4> counted_command_labels = {"time", "quit", "help", "unknown"};

// Everything counted, summed over the stripes: what a scrape reads.
struct metrics_snapshot {
    std::uint64_t connections_accepted = 0;  // every connection the accept loop took
    std::uint64_t connections_refused = 0;   // of those, the ones turned away (--max-connections)
    std::uint64_t accept_errors = 0;         // failed accepts, each retry counted
    std::array<std::uint64_t, counted_command_labels.size()> requests{};  // by counted_command_labels
    std::array<std::uint64_t, session_end_count> sessions_ended{};        // by session_end
};

class server_metrics {
public:
    void connection_accepted() { add(&stripe::connections_accepted); }
    void connection_refused() { add(&stripe::connections_refused); }
    void accept_error() { add(&stripe::accept_errors); }
    void session_ended(session_end why) {
        add(stripe_of_this_thread().sessions_ended.at(static_cast<std::size_t>(why)));
    }

    // The commands of one read's lines, from the conversation's tally; an
    // empty line is not a request.
    void requests_answered(const command_tally& tally);

    metrics_snapshot snapshot() const;

private:
    using counter = std::atomic<std::uint64_t>;

    // One thread's counters, on cache lines of their own.
    struct alignas(128) stripe {
        counter connections_accepted{0};
        counter connections_refused{0};
        counter accept_errors{0};
        std::array<counter, counted_command_labels.size()> requests{};
        std::array<counter, session_end_count> sessions_ended{};
    };
    // More stripes than the server will usually have threads: a thread keeps
    // one stripe for its whole life (stripe_index), so two threads share one
    // only past this many, and then their adds are still atomic.
    static constexpr std::size_t stripe_count = 16;

    static std::size_t stripe_index();
    stripe& stripe_of_this_thread() { return stripes_.at(stripe_index()); }

    static void add(counter& value, std::uint64_t amount = 1) { value.fetch_add(amount, std::memory_order_relaxed); }
    void add(counter stripe::*which) { add(stripe_of_this_thread().*which); }

    std::array<stripe, stripe_count> stripes_{};
};

}  // namespace time_server
