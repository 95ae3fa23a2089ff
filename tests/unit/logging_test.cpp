// logging_test.cpp - the log's level names and line format, checked on a
// logger that writes into memory with the server's own pattern.
#include "logging.hpp"

#include "log_format.hpp"

#include "scoped_tz.hpp"

#include <catch2/catch.hpp>
#include <spdlog/logger.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/ostream_sink.h>

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <optional>
#include <sstream>
#include <string>

namespace {

using time_server::parse_log_level;
using namespace std::chrono_literals;

using test_support::scoped_tz;

std::chrono::system_clock::time_point utc(int y, unsigned mo, unsigned d, int h, int mi, int s,
                                          std::chrono::milliseconds ms) {
    using namespace std::chrono;
    return sys_days{year{y} / month{mo} / day{d}} + hours{h} + minutes{mi} + seconds{s} + ms;
}

std::string prefix(std::chrono::system_clock::time_point when) {
    std::string out;
    time_server::append_log_prefix(out, when);
    return out;
}

TEST_CASE("parse_log_level knows exactly the five documented names", "[unit][logging]") {
    CHECK(parse_log_level("debug") == std::optional(spdlog::level::debug));
    CHECK(parse_log_level("info") == std::optional(spdlog::level::info));
    CHECK(parse_log_level("warn") == std::optional(spdlog::level::warn));
    CHECK(parse_log_level("error") == std::optional(spdlog::level::err));
    CHECK(parse_log_level("off") == std::optional(spdlog::level::off));
}

TEST_CASE("parse_log_level refuses every other spelling", "[unit][logging]") {
    for (const auto* name :
         {"", "loud", "INFO", "Info", "warning", "err", "trace", "critical", " info", "info ", "information", "none"}) {
        INFO("name: '" << name << "'");
        CHECK_FALSE(parse_log_level(name).has_value());
    }
}

TEST_CASE("log_pattern writes the original's timestamp, a comma before the milliseconds", "[unit][logging]") {
    std::ostringstream out;
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out);
    spdlog::logger log("pattern_test", sink);
    log.set_formatter(std::make_unique<spdlog::pattern_formatter>(time_server::log_pattern));
    log.info("Server dihentikan.");
    log.warn("a warning, same shape");
    std::istringstream lines(out.str());
    std::string first;
    std::string second;
    REQUIRE(std::getline(lines, first));
    REQUIRE(std::getline(lines, second));
    CHECK(test_support::log_message(first) == std::optional<std::string_view>("Server dihentikan."));
    // No level name in the line, whatever the level.
    CHECK(test_support::log_message(second) == std::optional<std::string_view>("a warning, same shape"));
}

}  // namespace

namespace {

// append_log_prefix keeps the formatted second per thread; each test below
// uses seconds of its own so that no zone change meets a cached second.
TEST_CASE("append_log_prefix writes the original's timestamp and separator", "[unit][logging]") {
    const scoped_tz zone("UTC0");
    CHECK(prefix(utc(2025, 6, 16, 21, 35, 10, 333ms)) == "2025-06-16 21:35:10,333 - ");
    CHECK(prefix(utc(2025, 1, 2, 3, 4, 5, 67ms)) == "2025-01-02 03:04:05,067 - ");
    CHECK(prefix(utc(2025, 1, 2, 3, 4, 5, 5ms)) == "2025-01-02 03:04:05,005 - ");
    CHECK(prefix(utc(2025, 1, 2, 3, 4, 5, 0ms)) == "2025-01-02 03:04:05,000 - ");
    CHECK(prefix(utc(2025, 1, 2, 3, 4, 5, 999ms)) == "2025-01-02 03:04:05,999 - ");
    CHECK(prefix(utc(2025, 1, 2, 3, 4, 6, 0ms)) == "2025-01-02 03:04:06,000 - ");  // the next second
    CHECK(prefix(utc(1999, 12, 31, 23, 59, 59, 1ms)) == "1999-12-31 23:59:59,001 - ");
}

TEST_CASE("append_log_prefix appends, keeping what is already there", "[unit][logging]") {
    const scoped_tz zone("UTC0");
    std::string line = "x";
    time_server::append_log_prefix(line, utc(2024, 2, 29, 12, 0, 0, 10ms));
    line += "Server dihentikan.";
    CHECK(line == "x2024-02-29 12:00:00,010 - Server dihentikan.");
}

TEST_CASE("append_log_prefix writes local time, honouring TZ", "[unit][logging]") {
    const scoped_tz zone("XYZ-7");  // seven hours east of UTC: the date moves on too
    CHECK(prefix(utc(2025, 6, 16, 21, 35, 11, 444ms)) == "2025-06-17 04:35:11,444 - ");
}

TEST_CASE("append_log_prefix agrees with log_pattern, the format for other loggers", "[unit][logging]") {
    const scoped_tz zone("ABC+3:30");
    const auto when = utc(2023, 11, 5, 8, 9, 12, 7ms);
    const spdlog::details::log_msg msg(when, spdlog::source_loc{}, "agreement", spdlog::level::info, "message");
    spdlog::pattern_formatter formatter(time_server::log_pattern);
    spdlog::memory_buf_t formatted;
    formatter.format(msg, formatted);
    std::string from_pattern(formatted.data(), formatted.size());
    while (!from_pattern.empty() && (from_pattern.back() == '\n' || from_pattern.back() == '\r')) {
        from_pattern.pop_back();
    }
    CHECK(from_pattern == prefix(when) + "message");
    CHECK(from_pattern == "2023-11-05 04:39:12,007 - message");
}

}  // namespace

namespace {

// The tests' own check of the line shape must reject what the server must
// never write, or the format assertions elsewhere could not fail.
TEST_CASE("the test suite's log line check accepts only the original's shape", "[unit][logging]") {
    using test_support::log_message;
    CHECK(log_message("2025-06-16 21:35:10,333 - Server dihentikan.") ==
          std::optional<std::string_view>("Server dihentikan."));
    for (const auto* line : {
             "2025-06-16 21:35:10.333 - x",  // a dot before the milliseconds
             "2025-06-16 21:35:10 - x",      // no milliseconds
             "2025-06-16 21:35:10,33 - x",   // two digits
             "2025-06-16T21:35:10,333 - x",  // ISO 'T'
             "[2025-06-16 21:35:10,333] x",  // spdlog's default
             "2025-06-16 21:35:10,333 [info] x",
             "2025-06-16 21:35:10,333 - ",      // no message
             "2025-06-16 21:35:10,333 - a\rb",  // a raw CR
             "25-06-16 21:35:10,333 - x",
             "",
         }) {
        INFO(line);
        CHECK_FALSE(log_message(line).has_value());
    }
}

}  // namespace
