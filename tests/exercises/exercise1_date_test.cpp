// exercise1_date_test.cpp - exercise 1 of docs/exercises.md: a DATE command
// answering "TANGGAL YYYY-MM-DD\r\n". Hidden tag: run it with
// `build/debug/bin/exercise_tests "[exercise1]"` or `ctest --preset exercises -R exercise1`.
#include "running_server.hpp"
#include "scoped_tz.hpp"

#include <catch2/catch.hpp>

#include <string>

namespace {

using test_support::fixed_time_reply;
using test_support::running_server;
using test_support::scoped_tz;

constexpr std::string_view unknown_reply = "ERROR: Perintah tidak dikenal.\r\n";

TEST_CASE("exercise 1: DATE answers TANGGAL YYYY-MM-DD and the connection stays open", "[.exercise1]") {
    running_server server;  // the fixed clock: 2025-06-16 21:35:10 UTC, --utc
    auto client = server.connect();

    client.send("DATE\r\n");
    CHECK(client.read_line() == "TANGGAL 2025-06-16\r\n");

    // Matched like TIME: any case, blanks around it trimmed, LF or CRLF.
    for (const auto* request : {"date\n", " Date\t\r\n"}) {
        INFO("request: " << request);
        client.send(request);
        CHECK(client.read_line() == "TANGGAL 2025-06-16\r\n");
    }

    // Still exactly one word: anything after it is an unknown command.
    client.send("DATE now\n");
    CHECK(client.read_line() == unknown_reply);

    // The other commands are untouched.
    client.send("TIME\n");
    CHECK(client.read_line() == fixed_time_reply);
}

TEST_CASE("exercise 1: DATE is logged like TIME", "[.exercise1]") {
    running_server server;
    auto client = server.connect();
    client.send("DATE\n");
    CHECK(client.read_line() == "TANGGAL 2025-06-16\r\n");
    const auto peer = client.peer_text();
    CHECK(server.log().wait_for_line("Menerima request 'DATE' dari " + peer, test_support::default_timeout));
    CHECK(server.log().wait_for_line("Mengirim tanggal '2025-06-16' ke " + peer, test_support::default_timeout));
}

TEST_CASE("exercise 1: without --utc, DATE is the local date, like TIME", "[.exercise1]") {
    // 21:35 UTC is already 04:35 of the next day in UTC+7.
    const scoped_tz zone("WIB-7");  // POSIX TZ string: UTC+7, no zone database needed
    auto config = test_support::test_config();
    config.utc = false;
    running_server server(config);
    auto client = server.connect();
    client.send("TIME\n");
    CHECK(client.read_line() == "JAM 04:35:10\r\n");
    client.send("DATE\n");
    CHECK(client.read_line() == "TANGGAL 2025-06-17\r\n");
}

}  // namespace
