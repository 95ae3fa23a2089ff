// time_bench_test.cpp - short time_bench runs in every mode against the real
// server, runs against fakes that must be flagged, the loopback rule, the
// output lines and the command line.
#include "time_bench.hpp"
#include "bench_command_line.hpp"
#include "loopback_target.hpp"
#include "test_servers.hpp"
#include "time_bench_report.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <sstream>
#include <string>
#include <variant>
#include <vector>

using time_tools::bench_mode;
using time_tools::bench_options;
using time_tools::bench_result;
using time_tools::seconds_d;
using tools_test::fake_behaviour;

namespace {

bench_options short_run(std::uint16_t port, bench_mode mode) {
    bench_options o;
    o.port = port;
    o.mode = mode;
    o.connections = 4;
    o.depth = mode == bench_mode::pipeline ? 16 : 1;
    o.duration = seconds_d(0.3);
    o.warmup = seconds_d(0.0);
    o.hold = seconds_d(0.2);
    o.timeout = seconds_d(2.0);
    o.threads = 2;
    return o;
}

bench_result run(const bench_options& o) {
    const auto target = time_tools::resolve_loopback(o.host, o.port);
    REQUIRE(std::holds_alternative<boost::asio::ip::tcp::endpoint>(target));
    std::ostringstream progress;
    return time_tools::run_bench(o, std::get<boost::asio::ip::tcp::endpoint>(target), progress);
}

std::variant<bench_options, int> parse(std::vector<const char*> args) {
    args.insert(args.begin(), "time_bench");
    std::ostringstream out;
    std::ostringstream err;
    return time_tools::parse_bench_command_line(static_cast<int>(args.size()), args.data(), out, err);
}

}  // namespace

TEST_CASE("every mode runs clean against the real server", "[bench]") {
    const tools_test::running_server server;
    for (const auto mode : {bench_mode::pingpong, bench_mode::pipeline, bench_mode::churn}) {
        INFO(time_tools::mode_name(mode));
        const auto result = run(short_run(server.port(), mode));
        CHECK(result.errors() == 0);
        CHECK(result.completed > 0);
        CHECK(result.latency.count() > 0);
        CHECK(result.stalled == 0);
        CHECK(time_tools::bench_exit_code(result) == 0);
        if (mode == bench_mode::pipeline) {
            CHECK(result.completed % 16 == 0);  // whole batches
        }
    }
}

TEST_CASE("idle opens, holds and rechecks every connection", "[bench]") {
    const tools_test::running_server server;
    auto o = short_run(server.port(), bench_mode::idle);
    o.connections = 50;
    const auto result = run(o);
    CHECK(result.opened == 50);
    CHECK(result.answered == 50);
    CHECK(result.dropped == 0);
    CHECK(result.unanswered == 0);
    CHECK(result.errors() == 0);
    CHECK(time_tools::bench_exit_code(result) == 0);
}

TEST_CASE("a bad reply is counted as a protocol error and fails the run", "[bench]") {
    for (const auto behaviour : {fake_behaviour::bad_time, fake_behaviour::garbage, fake_behaviour::double_reply}) {
        const tools_test::fake_server fake(behaviour);
        for (const auto mode : {bench_mode::pingpong, bench_mode::churn}) {
            INFO("mode " << time_tools::mode_name(mode) << ", fake " << static_cast<int>(behaviour));
            const auto result = run(short_run(fake.port(), mode));
            CHECK(result.err_protocol > 0);
            CHECK(time_tools::bench_exit_code(result) == 1);
        }
    }
}

TEST_CASE("a server that closes early, never answers or is not there fails the run in bounded time", "[bench]") {
    const auto started = std::chrono::steady_clock::now();
    SECTION("early close") {
        const tools_test::fake_server fake(fake_behaviour::close_at_once);
        const auto result = run(short_run(fake.port(), bench_mode::pingpong));
        CHECK(result.err_eof + result.err_io > 0);
        CHECK(result.completed == 0);
        CHECK(time_tools::bench_exit_code(result) == 1);
    }
    SECTION("mute: the open phase times out") {
        const tools_test::fake_server fake(fake_behaviour::mute);
        auto o = short_run(fake.port(), bench_mode::pipeline);
        o.timeout = seconds_d(0.3);
        const auto result = run(o);
        CHECK(result.err_timeout == 4);
        CHECK(result.opened == 0);
        CHECK(time_tools::bench_exit_code(result) == 1);
    }
    SECTION("mute: churn waits for the reply only until the drain ends") {
        const tools_test::fake_server fake(fake_behaviour::mute);
        const auto result = run(short_run(fake.port(), bench_mode::churn));
        CHECK(result.err_timeout == 4);
        CHECK(time_tools::bench_exit_code(result) == 1);
    }
    SECTION("refused") {
        const auto result = run(short_run(tools_test::closed_port(), bench_mode::churn));
        CHECK(result.err_connect > 0);
        CHECK(result.completed == 0);
        CHECK(time_tools::bench_exit_code(result) == 1);
    }
    CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(5));
}

TEST_CASE("only loopback targets are accepted", "[bench]") {
    CHECK(std::holds_alternative<boost::asio::ip::tcp::endpoint>(time_tools::resolve_loopback("127.0.0.1", 1)));
    CHECK(std::holds_alternative<boost::asio::ip::tcp::endpoint>(time_tools::resolve_loopback("127.1.2.3", 1)));
    CHECK(std::holds_alternative<boost::asio::ip::tcp::endpoint>(time_tools::resolve_loopback("localhost", 1)));
    const auto remote = time_tools::resolve_loopback("192.0.2.1", 1);
    REQUIRE(std::holds_alternative<std::string>(remote));
    CHECK(std::get<std::string>(remote).find("not a loopback address") != std::string::npos);
}

TEST_CASE("the output lines carry loadgen's fields", "[bench][report]") {
    bench_result r;
    r.options.mode = bench_mode::pipeline;
    r.options.connections = 50;
    r.options.depth = 64;
    r.options.duration = seconds_d(2.0);
    r.target = "127.0.0.1";
    r.completed = 1000;
    r.err_protocol = 1;
    r.latency.record(std::chrono::microseconds(100));
    const std::string human = time_tools::human_line(r);
    CHECK(human.starts_with("pipeline c=50 p=64 t=1 2.00s: 1000 replies, 500.0 replies/s, p50 99.8us p99 99.8us"));
    CHECK(human.find("errors 1 (proto 1,") != std::string::npos);
    const std::string json = time_tools::json_line(r);
    CHECK(json.starts_with("{\"mode\":\"pipeline\",\"host\":\"127.0.0.1\",\"port\":45000,\"conns\":50,"));
    CHECK(json.find("\"completed\":1000,\"rps\":500.0,") != std::string::npos);
    CHECK(json.find("\"errors\":1,\"err_proto\":1,") != std::string::npos);
    CHECK(json.ends_with("}"));
    CHECK(time_tools::bench_exit_code(r) == 1);
}

TEST_CASE("the bench's command line", "[bench][cli]") {
    SECTION("defaults match loadgen's") {
        const auto o = std::get<bench_options>(parse({}));
        CHECK(o.mode == bench_mode::pingpong);
        CHECK(o.connections == 1);
        CHECK(o.duration == seconds_d(4.0));
        CHECK(o.warmup == seconds_d(1.0));
        CHECK(o.threads == 1);
    }
    SECTION("idle defaults to 100 connections; -n sets them") {
        CHECK(std::get<bench_options>(parse({"idle"})).connections == 100);
        const auto o = std::get<bench_options>(parse({"--mode", "idle", "-n", "7", "--hold", "2"}));
        CHECK(o.connections == 7);
        CHECK(o.hold == seconds_d(2.0));
    }
    SECTION("depth counts only in pipeline mode") {
        CHECK(std::get<bench_options>(parse({"pingpong", "-p", "8"})).depth == 1);
        const auto o = std::get<bench_options>(
            parse({"pipeline", "-c", "50", "-p", "64", "-d", "3", "-w", "0.5", "--threads", "2", "--json"}));
        CHECK(o.depth == 64);
        CHECK(o.connections == 50);
        CHECK(o.duration == seconds_d(3.0));
        CHECK(o.warmup == seconds_d(0.5));
        CHECK(o.threads == 2);
        CHECK(o.json);
    }
    SECTION("bad usage exits 2") {
        for (const auto& args : std::vector<std::vector<const char*>>{
                 {"flood"}, {"-c", "0"}, {"-d", "0"}, {"-p", "5000"}, {"--threads", "0"}, {"--bogus"}}) {
            const auto parsed = parse(args);
            REQUIRE(std::holds_alternative<int>(parsed));
            CHECK(std::get<int>(parsed) == 2);
        }
    }
}
