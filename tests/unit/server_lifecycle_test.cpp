// server_lifecycle_test.cpp - the pure parts of how sessions are swept and how
// the server reacts when its accept loop dies, without a socket.
#include "listener.hpp"
#include "session_registry.hpp"

#include <catch2/catch.hpp>
#include <spdlog/logger.h>
#include <spdlog/sinks/ostream_sink.h>

#include <chrono>
#include <memory>
#include <sstream>
#include <stdexcept>

namespace {

using namespace std::chrono_literals;
using time_server::session_registry;

TEST_CASE("the watchdog sweeps a quarter of the idle timeout apart, within 10 to 100 ms", "[unit][registry]") {
    CHECK(session_registry::sweep_period(1ms) == 10ms);
    CHECK(session_registry::sweep_period(39ms) == 10ms);
    CHECK(session_registry::sweep_period(200ms) == 50ms);
    CHECK(session_registry::sweep_period(400ms) == 100ms);
    CHECK(session_registry::sweep_period(300s) == 100ms);
    // So the lingering close's 0.5 s holds at the longest period.
    CHECK(session_registry::max_sweep_period <= 100ms);
}

struct captured_log {
    std::ostringstream text;
    spdlog::logger log{"test", std::make_shared<spdlog::sinks::ostream_sink_st>(text)};
};

TEST_CASE("an accept loop that ends by an exception stops the server, and says so", "[unit][listener]") {
    captured_log captured;
    int stops = 0;
    const time_server::stop_when_accepting_ends handler{captured.log, [&stops] { ++stops; }};

    handler(std::make_exception_ptr(std::runtime_error("boom")), time_server::accept_end::stopped);
    CHECK(stops == 1);
    CHECK_THAT(captured.text.str(), Catch::Contains("boom"));
    CHECK_THAT(captured.text.str(), Catch::Contains("Server tidak dapat menerima koneksi lagi, server berhenti."));
}

TEST_CASE("an accept loop that ends normally stops nothing", "[unit][listener]") {
    captured_log captured;
    int stops = 0;
    const time_server::stop_when_accepting_ends handler{captured.log, [&stops] { ++stops; }};
    handler(nullptr, time_server::accept_end::stopped);
    CHECK(stops == 0);
    CHECK(captured.text.str().empty());
}

TEST_CASE("an accept loop that gave up on a failing listening socket stops the server, and says so",
          "[unit][listener]") {
    captured_log captured;
    int stops = 0;
    const time_server::stop_when_accepting_ends handler{captured.log, [&stops] { ++stops; }};
    handler(nullptr, time_server::accept_end::failed);
    CHECK(stops == 1);
    CHECK_THAT(captured.text.str(), Catch::Contains("Server tidak dapat menerima koneksi lagi, server berhenti."));
}

}  // namespace
