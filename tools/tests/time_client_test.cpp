// time_client_test.cpp - time_client's exit codes against the real server on
// loopback and against fakes that misbehave, plus its command line.
#include "time_client.hpp"
#include "client_command_line.hpp"
#include "reply_check.hpp"
#include "test_servers.hpp"

#include <catch2/catch.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <sstream>
#include <string>
#include <variant>
#include <vector>

using time_tools::client_exit;
using time_tools::client_options;
using time_tools::run_client;
using time_tools::seconds_d;
using tools_test::fake_behaviour;

namespace {

// Short enough to keep the suite quick, long enough for a loaded 2-core CI box.
constexpr seconds_d short_timeout{0.3};

struct client_run {
    client_exit code;
    std::string out;
    std::string err;
};

client_run run(client_options options) {
    std::ostringstream out;
    std::ostringstream err;
    const client_exit code = run_client(options, out, err);
    return {code, out.str(), err.str()};
}

client_options to_port(std::uint16_t port, time_server::command command = time_server::command::time) {
    client_options options;
    options.port = port;
    options.command = command;
    options.timeout = seconds_d(5.0);
    return options;
}

std::variant<client_options, int> parse(std::vector<const char*> args, std::string& out, std::string& err) {
    args.insert(args.begin(), "time_client");
    std::ostringstream out_stream;
    std::ostringstream err_stream;
    auto parsed = time_tools::parse_client_command_line(static_cast<int>(args.size()), args.data(), out_stream,
                                                        err_stream);
    out = out_stream.str();
    err = err_stream.str();
    return parsed;
}

// One reply line as printed: "JAM hh:mm:ss" and a newline (no std::regex: GCC 12's
// headers trip -Wmaybe-uninitialized at -O2, an error in the sanitizer presets).
bool is_one_time_line(const std::string& out) {
    return out.size() == 13 && out.back() == '\n' && time_tools::is_time_reply_line(out.substr(0, 12));
}

}  // namespace

TEST_CASE("TIME prints one JAM line and exits 0", "[client]") {
    const tools_test::running_server server;
    const auto result = run(to_port(server.port()));
    CHECK(result.code == client_exit::ok);
    CHECK(is_one_time_line(result.out));
    CHECK(result.err.empty());
}

TEST_CASE("a count repeats on one connection, an interval pauses between", "[client]") {
    const tools_test::running_server server;
    auto options = to_port(server.port());
    options.count = 3;
    options.interval = seconds_d(0.05);
    const auto started = std::chrono::steady_clock::now();
    const auto result = run(options);
    const auto took = std::chrono::steady_clock::now() - started;
    CHECK(result.code == client_exit::ok);
    CHECK(std::count(result.out.begin(), result.out.end(), '\n') == 3);
    CHECK(took >= std::chrono::milliseconds(100));  // two pauses
}

TEST_CASE("HELP prints the help line, QUIT prints nothing and sees a clean close", "[client]") {
    const tools_test::running_server server;
    const auto help = run(to_port(server.port(), time_server::command::help));
    CHECK(help.code == client_exit::ok);
    CHECK(help.out == "BANTUAN: TIME, QUIT, HELP\n");

    const auto quit = run(to_port(server.port(), time_server::command::quit));
    CHECK(quit.code == client_exit::ok);
    CHECK(quit.out.empty());
    CHECK(quit.err.empty());
}

TEST_CASE("IPv6 loopback and host names are resolved", "[client]") {
    SECTION("::1") {
        std::optional<tools_test::running_server> server;
        try {
            server.emplace("::1");
        } catch (const boost::system::system_error&) {
            WARN("no IPv6 loopback here; skipped");
            return;
        }
        auto options = to_port(server->port());
        options.host = "::1";
        CHECK(run(options).code == client_exit::ok);
    }
    SECTION("localhost") {
        const tools_test::running_server server;
        auto options = to_port(server.port());
        options.host = "localhost";  // may resolve to ::1 first; the client tries each address
        CHECK(run(options).code == client_exit::ok);
    }
}

TEST_CASE("a refused connection exits 3", "[client]") {
    const auto result = run(to_port(tools_test::closed_port()));
    CHECK(result.code == client_exit::cannot_connect);
    CHECK(result.out.empty());
    CHECK(result.err.find("cannot connect") != std::string::npos);
}

TEST_CASE("a server that never answers exits 4 after --timeout", "[client]") {
    const tools_test::silent_listener listener;
    auto options = to_port(listener.port());
    options.timeout = short_timeout;
    const auto started = std::chrono::steady_clock::now();
    const auto result = run(options);
    const auto took = std::chrono::steady_clock::now() - started;
    CHECK(result.code == client_exit::timed_out);
    CHECK(result.err.find("timed out") != std::string::npos);
    CHECK(took >= std::chrono::milliseconds(250));
    CHECK(took < std::chrono::seconds(3));
}

TEST_CASE("the timeout bounds each reply, not the pauses between requests", "[client]") {
    const tools_test::running_server server;
    auto options = to_port(server.port());
    options.count = 2;
    options.interval = seconds_d(0.8);
    options.timeout = seconds_d(0.5);  // shorter than the pause, long enough for a busy machine
    CHECK(run(options).code == client_exit::ok);
}

TEST_CASE("an unexpected reply exits 5 and is shown escaped on stderr", "[client]") {
    SECTION("garbage to TIME") {
        const tools_test::fake_server fake(fake_behaviour::garbage);
        const auto result = run(to_port(fake.port()));
        CHECK(result.code == client_exit::unexpected_reply);
        CHECK(result.out.empty());
        CHECK(result.err == "time_client: unexpected reply to TIME: 'garbage'\n");
    }
    SECTION("an impossible time") {
        const tools_test::fake_server fake(fake_behaviour::bad_time);
        CHECK(run(to_port(fake.port())).code == client_exit::unexpected_reply);
    }
    SECTION("an ERROR line") {
        const tools_test::fake_server fake(fake_behaviour::error_reply);
        CHECK(run(to_port(fake.port())).code == client_exit::unexpected_reply);
    }
    SECTION("a TIME reply to HELP") {
        const tools_test::fake_server fake(fake_behaviour::double_reply);
        CHECK(run(to_port(fake.port(), time_server::command::help)).code == client_exit::unexpected_reply);
    }
    SECTION("a reply to QUIT") {
        const tools_test::fake_server fake(fake_behaviour::garbage);
        CHECK(run(to_port(fake.port(), time_server::command::quit)).code == client_exit::unexpected_reply);
    }
}

TEST_CASE("a server that closes before replying exits 6", "[client]") {
    const tools_test::fake_server fake(fake_behaviour::close_at_once);
    const auto result = run(to_port(fake.port()));
    CHECK(result.code == client_exit::closed_early);
    CHECK(result.err.find("closed the connection") != std::string::npos);
}

TEST_CASE("QUIT to a server that never closes exits 4", "[client]") {
    const tools_test::fake_server fake(fake_behaviour::mute);
    auto options = to_port(fake.port(), time_server::command::quit);
    options.timeout = short_timeout;
    CHECK(run(options).code == client_exit::timed_out);
}

TEST_CASE("the client's command line", "[client][cli]") {
    std::string out;
    std::string err;
    SECTION("defaults") {
        const auto parsed = parse({}, out, err);
        REQUIRE(std::holds_alternative<client_options>(parsed));
        const auto& o = std::get<client_options>(parsed);
        CHECK(o.host == "127.0.0.1");
        CHECK(o.port == 45000);
        CHECK(o.command == time_server::command::time);
        CHECK(o.count == 1);
        CHECK(o.timeout == seconds_d(5.0));
    }
    SECTION("a positional command in any case, and every flag") {
        const auto parsed = parse(
            {"help", "--host", "::1", "--port", "46000", "--count", "2", "--interval", "0.25", "--timeout", "1.5"}, out,
            err);
        REQUIRE(std::holds_alternative<client_options>(parsed));
        const auto& o = std::get<client_options>(parsed);
        CHECK(o.command == time_server::command::help);
        CHECK(o.host == "::1");
        CHECK(o.port == 46000);
        CHECK(o.count == 2);
        CHECK(o.interval == seconds_d(0.25));
        CHECK(o.timeout == seconds_d(1.5));
    }
    SECTION("--command") {
        const auto parsed = parse({"--command", "QUIT"}, out, err);
        REQUIRE(std::holds_alternative<client_options>(parsed));
        CHECK(std::get<client_options>(parsed).command == time_server::command::quit);
    }
    SECTION("--help lists the exit codes") {
        const auto parsed = parse({"--help"}, out, err);
        CHECK(std::get<int>(parsed) == 0);
        CHECK(out.find("Exit codes") != std::string::npos);
        CHECK(out.find("6  the server closed") != std::string::npos);
    }
    SECTION("bad usage exits 2 with one line") {
        for (const auto& args : std::vector<std::vector<const char*>>{{"FOO"},
                                                                      {"--port", "0"},
                                                                      {"--port", "70000"},
                                                                      {"--count", "0"},
                                                                      {"--timeout", "0"},
                                                                      {"--interval", "-1"},
                                                                      {"--bogus"},
                                                                      {"QUIT", "--count", "2"}}) {
            const auto parsed = parse(args, out, err);
            REQUIRE(std::holds_alternative<int>(parsed));
            CHECK(std::get<int>(parsed) == 2);
            CHECK(std::count(err.begin(), err.end(), '\n') == 1);
        }
    }
}
