// exercise4_second_listener_test.cpp - exercise 4 of docs/exercises.md: a
// second listener on another port, --extra-port N.
#include "exercise_support.hpp"
#include "running_server.hpp"

#include <catch2/catch.hpp>

#include <boost/asio/ip/tcp.hpp>

#include <cerrno>
#include <cstdint>
#include <string>
#include <vector>

namespace {

using exercise_support::config_from_flags;
using test_support::fixed_time_reply;
using test_support::running_server;

constexpr std::string_view busy_reply = "ERROR: Server sedang penuh.\r\n";

// The ports named by "Time server berjalan dan mendengarkan di port N...",
// one line per listener, in the order they were logged.
std::vector<std::uint16_t> listening_ports(const running_server& server) {
    constexpr std::string_view prefix = "mendengarkan di port ";
    // Logged by server::start() today; a solution may log later, so wait a little for both.
    server.log().wait_for_count(prefix, 2, test_support::default_timeout);
    std::vector<std::uint16_t> ports;
    for (const auto& message : server.log().messages_containing(prefix)) {
        const auto at = message.find(prefix) + prefix.size();
        ports.push_back(static_cast<std::uint16_t>(std::stoi(message.substr(at))));
    }
    return ports;
}

boost::asio::ip::tcp::endpoint loopback(std::uint16_t port) {
    return {boost::asio::ip::make_address("127.0.0.1"), port};
}

TEST_CASE("exercise 4: --extra-port listens on a second port", "[.exercise4]") {
    // "--port 0" (in every fixture's flags) and "--extra-port 0": two ports the OS picks.
    running_server server(config_from_flags({"--extra-port", "0"}));
    const auto ports = listening_ports(server);
    REQUIRE(ports.size() == 2);
    CHECK(ports[0] != ports[1]);
    CHECK(ports[0] == server.endpoint().port());  // --port stays the server's endpoint, logged first

    auto on_first = test_support::test_client(loopback(ports[0]));
    auto on_second = test_support::test_client(loopback(ports[1]));
    on_first.send("TIME\n");
    on_second.send("TIME\n");
    CHECK(on_first.read_line() == fixed_time_reply);
    CHECK(on_second.read_line() == fixed_time_reply);
    CHECK(server.wait_for_session_count(2));

    // Shutdown closes both listeners and the sessions of both.
    server.stop_and_join();
    on_first.expect_closed();
    on_second.expect_closed();
    CHECK(test_support::test_client::connect_error(loopback(ports[0])) == ECONNREFUSED);
    CHECK(test_support::test_client::connect_error(loopback(ports[1])) == ECONNREFUSED);
}

TEST_CASE("exercise 4: --max-connections counts the sessions of both listeners", "[.exercise4]") {
    running_server server(config_from_flags({"--extra-port", "0", "--max-connections", "1"}));
    const auto ports = listening_ports(server);
    REQUIRE(ports.size() == 2);

    auto first = test_support::test_client(loopback(ports[0]));
    first.send("TIME\n");
    CHECK(first.read_line() == fixed_time_reply);

    auto second = test_support::test_client(loopback(ports[1]));
    CHECK(second.read_until_eof() == busy_reply);
}

}  // namespace
