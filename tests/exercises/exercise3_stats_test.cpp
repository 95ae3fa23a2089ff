// exercise3_stats_test.cpp - exercise 3 of docs/exercises.md: an admin
// command, STATS <token>, enabled by --admin-token.
#include "exercise_support.hpp"
#include "running_server.hpp"

#include <catch2/catch.hpp>

namespace {

using exercise_support::config_from_flags;
using test_support::fixed_time_reply;
using test_support::running_server;

constexpr std::string_view help_reply = "BANTUAN: TIME, QUIT, HELP\r\n";
constexpr std::string_view unknown_reply = "ERROR: Perintah tidak dikenal.\r\n";

TEST_CASE("exercise 3: STATS with the admin token reports sessions and requests", "[.exercise3]") {
    running_server server(config_from_flags({"--admin-token", "rahasia"}));

    auto first = server.connect();
    first.send("TIME\n");
    CHECK(first.read_line() == fixed_time_reply);
    first.send("time\r\n");
    CHECK(first.read_line() == fixed_time_reply);

    auto second = server.connect();
    second.send("HELP\n");
    CHECK(second.read_line() == help_reply);

    auto third = server.connect();
    third.send("bogus\n");
    CHECK(third.read_line() == unknown_reply);
    third.send("\n");  // an empty line is not a request
    third.send("QUIT\n");
    third.expect_closed();
    REQUIRE(server.wait_for_session_count(2));

    // A wrong or missing token: the command does not exist for this client.
    second.send("STATS salah\n");
    CHECK(second.read_line() == unknown_reply);
    second.send("STATS\n");
    CHECK(second.read_line() == unknown_reply);

    // Requests so far: first 2, second 3, third 2 (bogus, QUIT); this STATS is the 8th.
    first.send("stats rahasia\r\n");
    CHECK(first.read_line() == "STATISTIK: koneksi_aktif=2 koneksi_total=3 request_total=8\r\n");

    // The connection stays open, and the token never reaches the log.
    first.send("TIME\n");
    CHECK(first.read_line() == fixed_time_reply);
    CHECK(server.log().wait_for_line("Menerima request 'STATS' dari " + first.peer_text(),
                                     test_support::default_timeout));
    CHECK(server.log().count_containing("rahasia") == 0);
}

TEST_CASE("exercise 3: without --admin-token there is no STATS", "[.exercise3]") {
    running_server server(config_from_flags({}));
    auto client = server.connect();
    client.send("STATS\n");
    CHECK(client.read_line() == unknown_reply);
    client.send("STATS rahasia\n");
    CHECK(client.read_line() == unknown_reply);
}

}  // namespace
