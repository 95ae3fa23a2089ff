// time_bench.cpp - a run in phases: open the connections, measure (or hold
// and recheck), merge the shards' tallies.
//
// Each phase spawns its coroutines, then runs the io_context on --threads
// threads until they have all ended; run() returning is the barrier between
// phases (loadgen uses pthread barriers for the same purpose). Each phase is
// bounded by a deadline that its watchdogs enforce.
#include "time_bench.hpp"

#include "reply_check.hpp"
#include "time_bench_connection.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>
#include <fmt/ostream.h>

#include <sys/resource.h>

#include <algorithm>
#include <exception>
#include <memory>
#include <mutex>
#include <ostream>
#include <thread>
#include <vector>

namespace time_tools {

namespace net = boost::asio;
using tcp = net::ip::tcp;
using std::chrono::steady_clock;

namespace {

// Connections between connect() and their first verified reply at once,
// across all shards: a server with a small listen backlog is not flooded
// with SYNs (loadgen's -r default).
constexpr std::size_t opening_at_once = 64;

// After the window, how long connections may take to collect the replies
// they are still waiting for before the watchdog closes them.
constexpr auto drain_time = std::chrono::seconds(1);

constexpr auto progress_period = std::chrono::seconds(1);

using shard_list = std::vector<std::unique_ptr<shard>>;

steady_clock::duration to_steady(seconds_d seconds) {
    return std::chrono::duration_cast<steady_clock::duration>(seconds);
}

double seconds_between(steady_clock::time_point from, steady_clock::time_point to) {
    return std::chrono::duration<double>(to - from).count();
}

double cpu_seconds() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    const auto seconds = [](const timeval& t) {
        return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
    };
    return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

// The completion handler of every coroutine: keeps the first exception that
// escaped one, so run_bench() can report it instead of losing it.
struct first_failure {
    std::mutex mutex;
    std::exception_ptr failure;
};

struct keep_first_failure {
    first_failure& box;

    void operator()(const std::exception_ptr& failure) const {
        if (failure) {
            const std::lock_guard lock(box.mutex);
            if (!box.failure) {
                box.failure = failure;
            }
        }
    }
};

// Runs the io_context on `threads` threads until every coroutine of the
// phase has ended.
void run_phase(net::io_context& io, unsigned threads) {
    io.restart();
    std::vector<std::jthread> helpers;
    for (unsigned i = 1; i < threads; ++i) {
        helpers.emplace_back([&io] { io.run(); });
    }
    io.run();
}  // joins the helpers

// Counts `workers` coroutines into the shard's phase before any of them runs.
void begin_phase(shard& s, std::size_t workers) {
    s.running.store(workers, std::memory_order_relaxed);
    s.deadline_passed = false;
    s.next_socket = 0;
}

std::size_t running_total(const shard_list& shards) {
    std::size_t total = 0;
    for (const auto& s : shards) {
        total += s->running.load(std::memory_order_relaxed);
    }
    return total;
}

std::uint64_t replies_total(const shard_list& shards) {
    std::uint64_t total = 0;
    for (const auto& s : shards) {
        total += s->replies_seen.load(std::memory_order_relaxed);
    }
    return total;
}

std::uint64_t errors_total(const shard_list& shards) {
    std::uint64_t total = 0;
    for (const auto& s : shards) {
        total += s->errors_seen.load(std::memory_order_relaxed);
    }
    return total;
}

// Once a second during the measuring phase: what has happened so far.
net::awaitable<void> show_progress(const shard_list& shards, steady_clock::time_point start,
                                   steady_clock::time_point end, const char* unit, std::ostream& out) {
    net::steady_timer timer(co_await net::this_coro::executor);
    std::uint64_t last = replies_total(shards);
    for (auto tick = start + progress_period; tick < end; tick += progress_period) {
        timer.expires_at(tick);
        // Sleeps a second while the connections run.
        co_await timer.async_wait(net::as_tuple(net::use_awaitable));
        if (running_total(shards) == 0) {
            co_return;
        }
        const std::uint64_t now = replies_total(shards);
        fmt::print(out, "time_bench: {:.0f} s, {} {}/s, {} errors\n", seconds_between(start, tick), now - last, unit,
                   errors_total(shards));
        out.flush();
        last = now;
    }
}

// Idle's hold: the connections just sit there; the recheck finds out whether
// the server kept them. The io_context does not even run meanwhile.
void hold_connections(const bench_options& o, std::size_t open, std::ostream& progress) {
    const auto start = steady_clock::now();
    const auto end = start + to_steady(o.hold);
    const bool show = o.progress && o.hold > progress_threshold;
    for (auto now = start; now < end; now = steady_clock::now()) {
        std::this_thread::sleep_until(std::min(end, now + progress_period));
        if (show) {
            fmt::print(progress, "time_bench: holding {} connections, {:.1f} of {:g} s\n", open,
                       seconds_between(start, steady_clock::now()), o.hold.count());
            progress.flush();
        }
    }
}

// A share of `total` workers for a shard holding `size` of `all` sockets:
// at least one, at most one per socket.
std::size_t worker_share(std::size_t total, std::size_t size, std::size_t all) {
    return std::clamp<std::size_t>(total * size / std::max<std::size_t>(all, 1), 1, std::max<std::size_t>(size, 1));
}

class bench_run {
public:
    bench_run(const bench_options& options, tcp::endpoint target, std::ostream& progress)
        : o_(options), target_(std::move(target)), progress_(progress), io_(static_cast<int>(options.threads)) {
        // Contiguous slices, one shard per thread, like loadgen's.
        const unsigned shard_count = std::max(1U, std::min(o_.threads, o_.connections));
        for (unsigned i = 0; i < shard_count; ++i) {
            const std::size_t share = o_.connections / shard_count + (i < o_.connections % shard_count ? 1 : 0);
            shards_.push_back(std::make_unique<shard>(io_, share));
        }
    }

    bench_result run() {
        bench_result result;
        result.options = o_;
        result.target = target_.address().to_string();
        const double cpu_before = cpu_seconds();
        const auto started = steady_clock::now();

        if (o_.mode != bench_mode::churn) {
            open_all();
            result.open_s = seconds_between(started, steady_clock::now());
        }
        if (o_.mode == bench_mode::idle) {
            hold_connections(o_, opened(), progress_);
            recheck_all();
        } else {
            measure();
        }
        close_all();

        result.cpu_s = cpu_seconds() - cpu_before;
        result.wall_s = seconds_between(started, steady_clock::now());
        merge_into(result);
        if (failures_.failure) {
            std::rethrow_exception(failures_.failure);
        }
        return result;
    }

private:
    void spawn(shard& s, net::awaitable<void> work) {
        net::co_spawn(s.strand, std::move(work), keep_first_failure{failures_});
    }

    void open_all() {
        const auto deadline = steady_clock::now() + to_steady(o_.timeout);
        for (auto& s : shards_) {
            const std::size_t workers = worker_share(opening_at_once, s->sockets.size(), o_.connections);
            begin_phase(*s, workers);
            net::co_spawn(s->strand, enforce_deadline(*s, deadline), keep_first_failure{failures_});
            for (std::size_t i = 0; i < workers; ++i) {
                spawn(*s, open_connections(*s, target_));
            }
        }
        run_phase(io_, o_.threads);
        for (auto& s : shards_) {
            // Never even tried before the deadline: as good as a failed connect.
            s->tally.connect += s->sockets.size() - s->next_socket;
        }
    }

    void measure() {
        run_plan plan;
        plan.target = target_;
        plan.depth = o_.depth;
        for (unsigned i = 0; i < o_.depth; ++i) {
            plan.batch += time_request;
        }
        const auto start = steady_clock::now();
        plan.window_start = start + to_steady(o_.warmup);
        plan.window_end = plan.window_start + to_steady(o_.duration);
        plan_ = std::move(plan);

        for (auto& s : shards_) {
            std::vector<std::size_t> live;
            for (std::size_t i = 0; i < s->sockets.size(); ++i) {
                if (o_.mode == bench_mode::churn || s->sockets[i].is_open()) {
                    live.push_back(i);
                }
            }
            begin_phase(*s, live.size());
            net::co_spawn(s->strand, enforce_deadline(*s, plan_.window_end + drain_time),
                          keep_first_failure{failures_});
            for (const std::size_t i : live) {
                if (o_.mode == bench_mode::churn) {
                    spawn(*s, churn_connections(*s, i, plan_));
                } else {
                    spawn(*s, exchange_requests(*s, i, plan_));
                }
            }
        }
        if (o_.progress && o_.warmup + o_.duration > progress_threshold) {
            net::co_spawn(io_, show_progress(shards_, start, plan_.window_end, unit_name(o_.mode), progress_),
                          keep_first_failure{failures_});
        }
        run_phase(io_, o_.threads);
    }

    void recheck_all() {
        std::vector<std::uint64_t> errors_before;
        const auto deadline = steady_clock::now() + to_steady(o_.timeout);
        for (auto& s : shards_) {
            errors_before.push_back(s->errors_seen.load(std::memory_order_relaxed));
            const std::size_t workers = worker_share(opening_at_once, s->sockets.size(), o_.connections);
            begin_phase(*s, workers);
            net::co_spawn(s->strand, enforce_deadline(*s, deadline), keep_first_failure{failures_});
            for (std::size_t i = 0; i < workers; ++i) {
                spawn(*s, recheck_connections(*s));
            }
        }
        run_phase(io_, o_.threads);
        for (std::size_t i = 0; i < shards_.size(); ++i) {
            // Every connection opened ends up answered, dropped, unanswered or
            // an error; those the deadline came before are unanswered.
            auto& t = shards_[i]->tally;
            const std::uint64_t errors = shards_[i]->errors_seen.load(std::memory_order_relaxed) - errors_before[i];
            const std::uint64_t accounted = t.answered + t.dropped + t.unanswered + errors;
            t.unanswered += t.opened > accounted ? t.opened - accounted : 0;
        }
    }

    void close_all() {
        for (auto& s : shards_) {
            for (auto& socket : s->sockets) {
                boost::system::error_code ignored;
                socket.close(ignored);
            }
        }
    }

    std::size_t opened() const {
        std::size_t total = 0;
        for (const auto& s : shards_) {
            total += s->tally.opened;
        }
        return total;
    }

    void merge_into(bench_result& result) const {
        for (const auto& s : shards_) {
            const auto& t = s->tally;
            result.completed += t.completed;
            result.err_protocol += t.protocol;
            result.err_eof += t.early_close;
            result.err_io += t.io;
            result.err_connect += t.connect;
            result.err_timeout += t.timeout;
            result.stalled += t.stalled;
            result.opened += t.opened;
            result.answered += t.answered;
            result.dropped += t.dropped;
            result.unanswered += t.unanswered;
            result.latency.merge(t.latency);
        }
    }

    const bench_options& o_;
    tcp::endpoint target_;
    std::ostream& progress_;
    net::io_context io_;
    shard_list shards_;
    run_plan plan_;
    first_failure failures_;
};

}  // namespace

const char* mode_name(bench_mode mode) {
    switch (mode) {
    case bench_mode::pipeline:
        return "pipeline";
    case bench_mode::churn:
        return "churn";
    case bench_mode::idle:
        return "idle";
    default:
        return "pingpong";
    }
}

const char* unit_name(bench_mode mode) {
    switch (mode) {
    case bench_mode::pipeline:
        return "replies";
    case bench_mode::churn:
        return "conns";
    default:
        return "req";
    }
}

std::uint64_t bench_result::errors() const {
    std::uint64_t total = err_protocol + err_eof + err_io + err_connect + err_timeout;
    if (options.mode == bench_mode::idle) {
        total += dropped + unanswered;
    }
    return total;
}

double bench_result::window_s() const {
    return options.mode == bench_mode::idle ? 0.0 : options.duration.count();
}

double bench_result::rate() const {
    const double window = window_s();
    return window > 0 ? static_cast<double>(completed) / window : 0.0;
}

bench_result run_bench(const bench_options& options, const tcp::endpoint& target, std::ostream& progress) {
    bench_run run(options, target, progress);
    return run.run();
}

int bench_exit_code(const bench_result& result) {
    const std::uint64_t good = result.options.mode == bench_mode::idle ? result.answered : result.completed;
    return result.errors() == 0 && good > 0 ? 0 : 1;
}

}  // namespace time_tools
