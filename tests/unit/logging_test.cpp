// logging_test.cpp - the log's level names and line format, checked on a
// logger that writes into memory with the server's own pattern.
#include "logging.hpp"

#include <catch2/catch.hpp>
#include <spdlog/logger.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/ostream_sink.h>

#include <optional>
#include <regex>
#include <sstream>

namespace {

using time_server::parse_log_level;

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
    const std::regex line(R"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} - (.*)\r?\n)");
    std::istringstream lines(out.str());
    std::string first;
    std::string second;
    REQUIRE(std::getline(lines, first));
    REQUIRE(std::getline(lines, second));
    std::smatch match;
    REQUIRE(std::regex_match(first += "\n", match, line));
    CHECK(match[1] == "Server dihentikan.");
    REQUIRE(std::regex_match(second += "\n", match, line));
    CHECK(match[1] == "a warning, same shape");  // no level name in the line
}

}  // namespace
