// exercise2_rate_limit_test.cpp - exercise 2 of docs/exercises.md: a
// per-client request rate limit, --max-requests-per-second N.
#include "exercise_support.hpp"
#include "running_server.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <thread>

namespace {

using exercise_support::config_from_flags;
using test_support::fixed_time_reply;
using test_support::running_server;

constexpr std::string_view too_many_reply = "ERROR: Terlalu banyak perintah.\r\n";

std::string repeated(std::string_view text, int times) {
    std::string result;
    for (int i = 0; i < times; ++i) {
        result += text;
    }
    return result;
}

TEST_CASE("exercise 2: over N requests a second, a client is told so and stays connected", "[.exercise2]") {
    running_server server(config_from_flags({"--max-requests-per-second", "3"}));
    auto client = server.connect();

    // Five requests in one packet: the first three are answered, the other two
    // find no token left.
    client.send(repeated("TIME\n", 5));
    CHECK(client.read_exactly(3 * fixed_time_reply.size() + 2 * too_many_reply.size()) ==
          repeated(fixed_time_reply, 3) + repeated(too_many_reply, 2));
    CHECK(server.log().wait_for_line("Klien " + client.peer_text() + " mengirim terlalu banyak perintah",
                                     test_support::default_timeout));

    // Another client has its own allowance.
    auto other = server.connect();
    other.send("TIME\n");
    CHECK(other.read_line() == fixed_time_reply);

    // A second later the allowance is back, on the same connection.
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));
    client.send(repeated("TIME\n", 3));
    CHECK(client.read_exactly(3 * fixed_time_reply.size()) == repeated(fixed_time_reply, 3));

    // QUIT is always honoured, even with no allowance left: a client can leave.
    client.send(repeated("HELP\n", 4) + "QUIT\n");
    CHECK(client.read_until_eof().find("ERROR: Terlalu banyak perintah.") != std::string::npos);
    CHECK(server.wait_for_session_count(1));
}

TEST_CASE("exercise 2: without the flag there is no limit", "[.exercise2]") {
    running_server server(config_from_flags({}));
    // The flag's default must not limit anyone: 200 pipelined requests are
    // all answered. (This part passes before the exercise too.)
    auto client = server.connect();
    client.send(repeated("TIME\n", 200));
    CHECK(client.read_exactly(200 * fixed_time_reply.size()) == repeated(fixed_time_reply, 200));
    // The flag exists and 0 means no limit.
    running_server unlimited(config_from_flags({"--max-requests-per-second", "0"}));
    auto second = unlimited.connect();
    second.send(repeated("TIME\n", 200));
    CHECK(second.read_exactly(200 * fixed_time_reply.size()) == repeated(fixed_time_reply, 200));
}

}  // namespace
