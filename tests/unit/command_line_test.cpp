// command_line_test.cpp - parse_command_line: the defaults, every flag, and
// bad values answered with one line on the error stream and exit code 2.
#include "command_line.hpp"
#include "io_backend.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <variant>
#include <vector>

namespace {

using namespace std::chrono_literals;
using time_server::server_config;

struct parsed {
    std::variant<server_config, int> result;
    std::string out;
    std::string err;

    const server_config& config() const {
        REQUIRE(std::holds_alternative<server_config>(result));
        return std::get<server_config>(result);
    }
    int exit_code() const {
        INFO("stdout: " << out << "\nstderr: " << err);
        REQUIRE(std::holds_alternative<int>(result));
        return std::get<int>(result);
    }
};

parsed parse(std::initializer_list<const char*> args) {
    std::vector<const char*> argv{"time_server"};
    argv.insert(argv.end(), args.begin(), args.end());
    std::ostringstream out;
    std::ostringstream err;
    auto result = time_server::parse_command_line(static_cast<int>(argv.size()), argv.data(), out, err);
    return {std::move(result), out.str(), err.str()};
}

std::size_t count_lines(const std::string& text) {
    return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

// A refused command line: exit code 2, nothing on out, one line on err.
void check_refused(const std::vector<const char*>& args) {
    std::vector<const char*> argv{"time_server"};
    argv.insert(argv.end(), args.begin(), args.end());
    std::ostringstream out;
    std::ostringstream err;
    const auto result = time_server::parse_command_line(static_cast<int>(argv.size()), argv.data(), out, err);
    std::string shown;
    for (const auto* arg : args) {
        shown += std::string(" ") + arg;
    }
    INFO("args:" << shown << "\nstderr: " << err.str());
    REQUIRE(std::holds_alternative<int>(result));
    CHECK(std::get<int>(result) == 2);
    CHECK(out.str().empty());
    CHECK(count_lines(err.str()) == 1);
    CHECK(err.str().back() == '\n');
}

TEST_CASE("parse_command_line: no flags gives the documented defaults", "[unit][cli]") {
    const auto p = parse({});
    const auto& config = p.config();
    CHECK(config.port == 45000);
    CHECK(config.bind_address == "0.0.0.0");
    CHECK(config.threads == std::max(1U, std::thread::hardware_concurrency()));
    CHECK_FALSE(config.utc);
    CHECK(config.idle_timeout == 300s);
    CHECK(config.max_line_bytes == 1024);
    CHECK(config.max_connections == 10000);
    CHECK(config.log_level == spdlog::level::info);
    CHECK(p.out.empty());
    CHECK(p.err.empty());
}

TEST_CASE("parse_command_line reads every flag", "[unit][cli]") {
    CHECK(parse({"--port", "8080"}).config().port == 8080);
    CHECK(parse({"--port", "0"}).config().port == 0);
    CHECK(parse({"--port", "65535"}).config().port == 65535);
    CHECK(parse({"--bind", "127.0.0.1"}).config().bind_address == "127.0.0.1");
    CHECK(parse({"--bind", "::"}).config().bind_address == "::");
    CHECK(parse({"--bind", "::1"}).config().bind_address == "::1");
    CHECK(parse({"--threads", "3"}).config().threads == 3);
    CHECK(parse({"--utc"}).config().utc);
    CHECK(parse({"--idle-timeout", "0.25"}).config().idle_timeout == 250ms);
    CHECK(parse({"--idle-timeout", "60"}).config().idle_timeout == 60s);
    CHECK(parse({"--idle-timeout", "0.001"}).config().idle_timeout == 1ms);
    CHECK(parse({"--max-line", "16"}).config().max_line_bytes == 16);
    CHECK(parse({"--max-connections", "3"}).config().max_connections == 3);
    CHECK(parse({"--log-level", "debug"}).config().log_level == spdlog::level::debug);
    CHECK(parse({"--log-level", "warn"}).config().log_level == spdlog::level::warn);
    CHECK(parse({"--log-level", "error"}).config().log_level == spdlog::level::err);
    CHECK(parse({"--log-level", "off"}).config().log_level == spdlog::level::off);
    CHECK(parse({"--port=4500"}).config().port == 4500);
}

TEST_CASE("parse_command_line takes all flags together", "[unit][cli]") {
    const auto p = parse({"--port", "4000", "--bind", "::1", "--threads", "2", "--utc", "--idle-timeout", "1.5",
                          "--max-line", "64", "--max-connections", "7", "--log-level", "warn"});
    const auto& config = p.config();
    CHECK(config.port == 4000);
    CHECK(config.bind_address == "::1");
    CHECK(config.threads == 2);
    CHECK(config.utc);
    CHECK(config.idle_timeout == 1500ms);
    CHECK(config.max_line_bytes == 64);
    CHECK(config.max_connections == 7);
    CHECK(config.log_level == spdlog::level::warn);
}

TEST_CASE("parse_command_line: a bad value is exit code 2 and one line on err", "[unit][cli]") {
    const std::vector<std::vector<const char*>> bad = {
        {"--port", "x"},
        {"--port", "70000"},
        {"--port", "-1"},
        {"--port"},
        {"--threads", "0"},
        {"--threads", "-2"},
        {"--threads", "1025"},
        {"--log-level", "loud"},
        {"--log-level", "INFO"},
        {"--bind", "nope"},
        {"--bind", "localhost"},
        {"--bind", "256.0.0.1"},
        {"--max-line", "0"},
        {"--max-line", "-1"},
        {"--max-connections", "0"},
        {"--idle-timeout", "0"},
        {"--idle-timeout", "-1"},
        {"--idle-timeout", "soon"},
        {"--idle-timeout", "inf"},
        {"--utc=maybe"},
        {"--nope"},
        {"stray"},
    };
    for (const auto& args : bad) {
        check_refused(args);
    }
}

// A NaN passes CLI11's Range check (every comparison with NaN is false), so
// it must be refused explicitly; accepted, it becomes a garbage idle timeout
// that closes every session at once.
TEST_CASE("parse_command_line refuses a NaN idle timeout", "[unit][cli]") {
    for (const auto* value : {"nan", "NaN", "-nan"}) {
        const auto p = parse({"--idle-timeout", value});
        INFO("--idle-timeout " << value);
        if (std::holds_alternative<server_config>(p.result)) {
            FAIL_CHECK("accepted, idle_timeout = " << p.config().idle_timeout.count() << " ms");
            continue;
        }
        CHECK(p.exit_code() == 2);
        CHECK(count_lines(p.err) == 1);
    }
}

// CLI11 turns an empty value into the option's default-constructed value,
// and 0 means "any free port": `--port "$UNSET_VARIABLE"` would quietly
// listen somewhere random instead of being refused.
TEST_CASE("parse_command_line refuses an empty port", "[unit][cli]") {
    const auto p = parse({"--port", ""});
    if (std::holds_alternative<server_config>(p.result)) {
        FAIL("accepted, port = " << p.config().port);
    }
    CHECK(p.exit_code() == 2);
    CHECK(count_lines(p.err) == 1);
}

// CLI11 converts integers with strtoull(..., 0), so a leading zero means
// octal and "0x" hex: `--port 010` must not listen on port 8.
TEST_CASE("parse_command_line reads a port with a leading zero as decimal", "[unit][cli]") {
    const auto p = parse({"--port", "010"});
    if (std::holds_alternative<int>(p.result)) {
        CHECK(p.exit_code() == 2);  // refusing it is fine too
        return;
    }
    CHECK(p.config().port == 10);
}

TEST_CASE("parse_command_line: --help prints every flag and exits 0", "[unit][cli]") {
    for (const auto* flag : {"--help", "-h"}) {
        const auto p = parse({flag});
        INFO(flag);
        CHECK(p.exit_code() == 0);
        CHECK(p.err.empty());
        for (const auto* name : {"--help", "--version", "--port", "--bind", "--threads", "--utc", "--idle-timeout",
                                 "--max-line", "--max-connections", "--log-level"}) {
            INFO("missing from --help: " << name);
            CHECK(p.out.find(name) != std::string::npos);
        }
    }
}

TEST_CASE("parse_command_line: the metrics and PROXY header flags' defaults", "[unit][cli]") {
    const auto p = parse({});
    const auto& config = p.config();
    CHECK(config.proxy_header_timeout == 5s);
    CHECK_FALSE(config.metrics_port.has_value());  // no endpoint unless asked for
    CHECK(config.metrics_bind_address == "127.0.0.1");
    CHECK(config.listen_flags_given.empty());
}

TEST_CASE("parse_command_line reads --proxy-header-timeout, --metrics-port and --metrics-bind", "[unit][cli]") {
    CHECK(parse({"--proxy-header-timeout", "0.25"}).config().proxy_header_timeout == 250ms);
    CHECK(parse({"--proxy-header-timeout", "2"}).config().proxy_header_timeout == 2s);
    CHECK(parse({"--proxy-header-timeout", "0.001"}).config().proxy_header_timeout == 1ms);
    CHECK(parse({"--proxy-header-timeout=1.5"}).config().proxy_header_timeout == 1500ms);
    // Its own deadline: --idle-timeout does not move it, nor it --idle-timeout.
    const auto both = parse({"--idle-timeout", "60", "--proxy-header-timeout", "3"});
    CHECK(both.config().idle_timeout == 60s);
    CHECK(both.config().proxy_header_timeout == 3s);

    CHECK(parse({"--metrics-port", "9100"}).config().metrics_port == std::optional<std::uint16_t>(9100));
    CHECK(parse({"--metrics-port", "0"}).config().metrics_port == std::optional<std::uint16_t>(0));  // any free port
    CHECK(parse({"--metrics-port", "65535"}).config().metrics_port == std::optional<std::uint16_t>(65535));
    CHECK(parse({"--metrics-port", "010"}).config().metrics_port == std::optional<std::uint16_t>(10));  // not octal
    CHECK(parse({"--metrics-port=9101"}).config().metrics_port == std::optional<std::uint16_t>(9101));

    CHECK(parse({"--metrics-bind", "0.0.0.0"}).config().metrics_bind_address == "0.0.0.0");
    CHECK(parse({"--metrics-bind", "::1"}).config().metrics_bind_address == "::1");
    CHECK(parse({"--metrics-bind", "::"}).config().metrics_bind_address == "::");
    // --metrics-bind alone does not turn the endpoint on.
    CHECK_FALSE(parse({"--metrics-bind", "::1"}).config().metrics_port.has_value());
    // The TIME port's flags and the endpoint's stay apart.
    const auto apart = parse(
        {"--port", "4000", "--bind", "::1", "--metrics-port", "9100", "--metrics-bind", "10.0.0.1"});
    CHECK(apart.config().port == 4000);
    CHECK(apart.config().bind_address == "::1");
    CHECK(apart.config().metrics_port == std::optional<std::uint16_t>(9100));
    CHECK(apart.config().metrics_bind_address == "10.0.0.1");
}

TEST_CASE("parse_command_line: a bad metrics or PROXY header value is exit code 2 and one line on err", "[unit][cli]") {
    const std::vector<std::vector<const char*>> bad = {
        {"--metrics-port", "abc"},         {"--metrics-port", "70000"},
        {"--metrics-port", "-1"},          {"--metrics-port", ""},
        {"--metrics-port", "0x10"},        {"--metrics-port"},
        {"--metrics-bind", "not-an-ip"},   {"--metrics-bind", "localhost"},
        {"--metrics-bind", "256.0.0.1"},   {"--metrics-bind", ""},
        {"--proxy-header-timeout", "0"},   {"--proxy-header-timeout", "-1"},
        {"--proxy-header-timeout", "nan"}, {"--proxy-header-timeout", "NaN"},
        {"--proxy-header-timeout", "inf"}, {"--proxy-header-timeout", "soon"},
        {"--proxy-header-timeout", ""},
    };
    for (const auto& args : bad) {
        check_refused(args);
    }
}

// With inherited listeners (socket activation) these three mean nothing, and
// the server warns about exactly the ones given.
TEST_CASE("parse_command_line lists which listen flags were given", "[unit][cli]") {
    using flags = std::vector<std::string>;
    CHECK(parse({}).config().listen_flags_given.empty());
    CHECK(parse({"--port", "4000"}).config().listen_flags_given == flags{"--port"});
    CHECK(parse({"--port=4000"}).config().listen_flags_given == flags{"--port"});
    CHECK(parse({"--bind", "::1"}).config().listen_flags_given == flags{"--bind"});
    CHECK(parse({"--reuse-port"}).config().listen_flags_given == flags{"--reuse-port"});
    // Given with its default value is still given.
    CHECK(parse({"--port", "45000"}).config().listen_flags_given == flags{"--port"});

    auto all = parse({"--reuse-port", "--bind", "0.0.0.0", "--port", "1"}).config().listen_flags_given;
    std::ranges::sort(all);
    CHECK(all == flags{"--bind", "--port", "--reuse-port"});

    // Flags that do not choose the listening socket are not listed.
    CHECK(parse({"--threads", "2", "--utc", "--idle-timeout", "9", "--max-line", "16", "--max-connections", "3",
                 "--log-level", "warn", "--proxy-protocol", "--proxy-header-timeout", "1", "--metrics-port", "9100",
                 "--metrics-bind", "::1"})
              .config()
              .listen_flags_given.empty());
}

TEST_CASE("parse_command_line: --help shows the metrics and PROXY header flags", "[unit][cli]") {
    const auto p = parse({"--help"});
    CHECK(p.exit_code() == 0);
    for (const auto* name : {"--proxy-protocol", "--proxy-header-timeout", "--metrics-port", "--metrics-bind"}) {
        INFO("missing from --help: " << name);
        CHECK(p.out.find(name) != std::string::npos);
    }
}

TEST_CASE("parse_command_line: --version prints the project version and exits 0", "[unit][cli]") {
    const auto p = parse({"--version"});
    CHECK(p.exit_code() == 0);
    CHECK(p.out == std::string("time_server ") + TIME_SERVER_VERSION + " (" + time_server::io_backend_name() + ")\n");
    CHECK(p.err.empty());
    CHECK(std::string(time_server::version()) == TIME_SERVER_VERSION);
}

}  // namespace
