// never_reading_client_test.cpp - a client pipelines TIME without ever reading: the
// server's memory stays flat, others are served at once, the idle timeout closes it.
#include "process_stats.hpp"
#include "raw_connection.hpp"
#include "running_server.hpp"
#include "wait.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <thread>

namespace {

using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;
using test_support::fixed_time_reply;
using test_support::running_server;

// Short, yet longer than `prompt`: a server whose blocked write held its only
// thread would answer nobody else until the idle timeout freed it.
constexpr std::chrono::milliseconds idle_timeout = 1s;
constexpr std::chrono::milliseconds prompt = 500ms;
// The send side has made no progress for this long: the server stopped
// reading, because its write to this client is blocked.
constexpr auto stalled_after = 50ms;
constexpr auto push_limit = 8s;
// Everything pending sits in kernel socket buffers; the server itself holds
// one read's replies at most.
constexpr std::uint64_t max_rss_growth = 16ULL << 20;

TEST_CASE("a client that never reads: flat memory, others served promptly, closed by the idle timeout",
          "[faults][never_reads]") {
    auto config = test_support::test_config();
    config.threads = 1;
    config.idle_timeout = idle_timeout;
    config.log_level = spdlog::level::warn;
    running_server server(config);
    const auto baseline = process_stats::resident_bytes();
    REQUIRE(baseline);

    faults::raw_connection hog(server.endpoint());
    std::string requests;
    for (std::size_t i = 0; i < 64 * 1024 / 5; ++i) {
        requests += "TIME\n";
    }

    const auto started = steady::now();
    auto last_progress = started;
    std::uint64_t peak = *baseline;
    std::size_t sent_total = 0;
    long failure = 0;
    bool others_checked = false;
    while (steady::now() - started < push_limit) {
        const auto sent = hog.send_now(requests);
        if (sent < 0) {
            failure = -sent;
            break;
        }
        sent_total += static_cast<std::size_t>(sent);
        const auto now = steady::now();
        if (sent > 0) {
            last_progress = now;
        }
        peak = std::max(peak, process_stats::resident_bytes().value_or(0));
        if (!others_checked && now - last_progress >= stalled_after) {
            others_checked = true;
            INFO("the hog's session should still be open while another client is served");
            CHECK(server.session_count() == 1);
            const auto asked = steady::now();
            auto other = server.connect();
            other.send("TIME\n");
            CHECK(other.read_line() == fixed_time_reply);
            const auto answered_in = std::chrono::duration_cast<std::chrono::milliseconds>(steady::now() - asked);
            INFO("another client waited " << answered_in.count() << " ms for TIME");
            CHECK(answered_in < prompt);
            other.close();
        }
        if (sent == 0) {
            std::this_thread::sleep_for(1ms);
        }
    }
    const auto closed_after_stall = std::chrono::duration_cast<std::chrono::milliseconds>(steady::now() -
                                                                                          last_progress);

    INFO("pushed " << sent_total << " bytes of TIME requests; the send side failed with "
                   << (failure ? std::strerror(static_cast<int>(failure)) : "nothing") << " "
                   << closed_after_stall.count() << " ms after its last progress");
    CHECK(others_checked);
    // The server closed the hog: its sends fail.
    REQUIRE(failure != 0);
    CHECK((failure == EPIPE || failure == ECONNRESET));
    // By the idle timeout: the watchdog looks every quarter timeout.
    CHECK(closed_after_stall < idle_timeout * 2);
    CHECK(server.log().wait_for_count("tidak aktif selama 1 detik", 1, 2s));
    CHECK(server.log().count_containing("tidak aktif") == 1);
    CHECK(server.wait_for_session_count(0));

    INFO("VmRSS " << (*baseline >> 10) << " KiB before, " << (peak >> 10) << " KiB at most while pushing");
    if constexpr (!process_stats::sanitized) {
        CHECK(peak - *baseline < max_rss_growth);
    }
}

}  // namespace
