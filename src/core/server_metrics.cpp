// server_metrics.cpp - striped counters: each thread adds to its own stripe,
// a scrape sums them.
#include "server_metrics.hpp"

namespace time_server {

std::size_t server_metrics::stripe_index() {
    // Constant-initialized, so reading it needs no guard on the request path;
    // a thread's first count picks its stripe, round robin.
    constexpr std::size_t unassigned = stripe_count;
    thread_local std::size_t index = unassigned;
    if (index == unassigned) {
        static std::atomic<std::size_t> next_index{0};
        index = next_index.fetch_add(1, std::memory_order_relaxed) % stripe_count;
    }
    return index;
}

void server_metrics::requests_answered(const command_tally& tally) {
    auto& mine = stripe_of_this_thread();
    for (std::size_t i = 0; i < tally.counts.size(); ++i) {
        // at(): the bounds are constants, so the compiler drops the check.
        if (tally.counts.at(i) != 0) {
            add(mine.requests.at(i), tally.counts.at(i));
        }
    }
}

metrics_snapshot server_metrics::snapshot() const {
    constexpr auto relaxed = std::memory_order_relaxed;
    metrics_snapshot sum;
    for (const auto& s : stripes_) {
        sum.connections_accepted += s.connections_accepted.load(relaxed);
        sum.connections_refused += s.connections_refused.load(relaxed);
        sum.accept_errors += s.accept_errors.load(relaxed);
        for (std::size_t i = 0; i < sum.requests.size(); ++i) {
            sum.requests.at(i) += s.requests.at(i).load(relaxed);
        }
        for (std::size_t i = 0; i < sum.sessions_ended.size(); ++i) {
            sum.sessions_ended.at(i) += s.sessions_ended.at(i).load(relaxed);
        }
    }
    return sum;
}

}  // namespace time_server
