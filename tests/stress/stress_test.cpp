// stress_test.cpp - 1,000+ concurrent seeded clients against the in-process server
// for a few seconds; afterwards no session is left and memory is back near its baseline.
#include "client_pool.hpp"
#include "process_stats.hpp"
#include "running_server.hpp"

#include "open_file_limit.hpp"

#include <catch2/catch.hpp>

#include <malloc.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <string>

namespace {

using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

constexpr std::size_t client_count = 1024;

// Sanitizers make every step 5-20 times slower: they get fewer seconds, never
// fewer clients, so the concurrency is the same in every build.
constexpr std::chrono::milliseconds run_time = process_stats::sanitized ? 3s : 5s;
// Only a server that stops answering should hit this, not a busy machine;
// the pool's own bound (4 of these plus the run) stays inside ctest's 300 s.
constexpr std::chrono::milliseconds connection_timeout = process_stats::sanitized ? 45s : 15s;

// Once every client is gone the server must be back to no session quickly:
// the closes are already under way, nothing waits for a timeout.
constexpr std::chrono::milliseconds drain_timeout = process_stats::sanitized ? 5s : 2s;

// Thousands of sessions come and go (a run grows the process by some 7 MiB
// once malloc's spare memory is trimmed); replies buffered without bound, or
// a leak of every session's buffers, shows as far more than this.
constexpr std::uint64_t max_rss_growth = 32ULL << 20;

// STRESS_SEED=n replays a run; the seed is in every failure message.
std::uint64_t seed() {
    const char* text = std::getenv("STRESS_SEED");
    return text != nullptr ? std::strtoull(text, nullptr, 10) : 20250616;
}

TEST_CASE("1,000+ concurrent clients of a seeded mix each get exactly their replies, in order", "[stress]") {
    // Each client holds two connections and the server the other ends: about
    // four descriptors per client, in this one process.
    const auto open_files = time_server::raise_open_file_limit();
    REQUIRE(open_files >= client_count * 4 + 256);

    auto config = test_support::test_config();
    // The capture keeps every line in memory; at info a run logs some 10^5
    // lines, growth the memory check would see. Warnings still show every
    // refused, cut-off or failed session.
    config.log_level = spdlog::level::warn;
    test_support::running_server server(config);
    const auto baseline = process_stats::resident_bytes();
    REQUIRE(baseline);

    stress::pool_options options;
    options.server = server.endpoint();
    options.clients = client_count;
    options.duration = run_time;
    options.seed = seed();
    options.max_line_bytes = config.max_line_bytes;
    options.time_reply = std::string(test_support::fixed_time_reply);
    options.connection_timeout = connection_timeout;
    options.when_all_connected = [&server] { return server.session_count(); };

    const auto started = steady::now();
    const auto report = stress::run_client_pool(options);
    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(steady::now() - started);

    INFO("seed " << options.seed << ", " << client_count << " clients, " << report.connections << " connections ("
                 << report.peak_open << " open at most, " << report.fewest_scenarios << "+ per client), "
                 << report.checked_replies << " replies checked, " << took.count() << " ms");
    for (const auto& failure : report.failures) {
        UNSCOPED_INFO(failure);
    }
    CHECK(report.failure_count == 0);
    CHECK(report.finished);
    // Every client's held connection answered before the mix began: that
    // many sessions were open in the server at once.
    CHECK(report.all_connected);
    CHECK(report.all_connected_value >= client_count);
    // Every client got past its held connection to at least one scenario.
    CHECK(report.fewest_scenarios >= 1);
    for (std::size_t i = 0; i < stress::scenario_count; ++i) {
        INFO("scenario " << stress::to_string(static_cast<stress::scenario>(i)));
        CHECK(report.connections_by_scenario[i] > 0);
    }

    // No session outlives its client.
    CHECK(server.wait_for_session_count(0, drain_timeout));

    auto& log = server.log();
    CHECK(log.count_containing("Coroutine berhenti") == 0);  // no session died by an exception
    CHECK(log.count_containing("tidak aktif") == 0);         // nobody waited for the idle timeout
    CHECK(log.count_containing("sedang penuh") == 0);
    // A reset costs at most one error line; nobody else causes one.
    const auto reset_count = report.connections_by_scenario[static_cast<std::size_t>(stress::scenario::reset)];
    CHECK(log.count_containing("Terjadi error pada koneksi") <= reset_count);
    if (report.failure_count == 0) {
        // Every overlong line was sent whole, so each was refused once.
        CHECK(log.count_containing("terlalu panjang") ==
              report.connections_by_scenario[static_cast<std::size_t>(stress::scenario::overlong)]);
    }

    // Freed memory that malloc keeps for reuse is not in use by anyone; hand
    // it back first, so that only live allocations count against the bound.
    ::malloc_trim(0);
    const auto after = process_stats::resident_bytes();
    REQUIRE(after);
    const auto growth = *after > *baseline ? *after - *baseline : 0;
    INFO("VmRSS " << (*baseline >> 10) << " KiB before, " << (*after >> 10) << " KiB after");
    if constexpr (!process_stats::sanitized) {
        CHECK(growth < max_rss_growth);
    }
}

}  // namespace
