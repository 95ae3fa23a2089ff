// metrics_counts_test.cpp - what the sessions count for the metrics, read
// from the in-process server: every connection, request and ending once, by
// its kind.
#include "running_server.hpp"
#include "wait.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

namespace {

using namespace std::chrono_literals;
using test_support::running_server;
using test_support::test_client;
using test_support::test_config;
using test_support::wait_until;
using time_server::session_end;

std::uint64_t ended(const time_server::metrics_snapshot& counted, session_end why) {
    return counted.sessions_ended.at(static_cast<std::size_t>(why));
}

TEST_CASE("requests are counted by command, empty lines not at all", "[e2e][metrics]") {
    running_server server;
    auto client = server.connect();
    client.send("TIME\r\n\r\nHELP\nfoo\nTIME\n\n   \nbar baz\r\n");
    for (int line = 0; line < 5; ++line) {
        client.read_line();
    }
    client.send("QUIT\r\n");
    client.expect_closed();
    REQUIRE(server.wait_for_session_count(0));
    const auto counted = server.metrics().snapshot();
    CHECK(counted.requests == std::array<std::uint64_t, 4>{2, 1, 1, 2});  // time, quit, help, unknown
}

TEST_CASE("every session's ending is counted once, by how it ended", "[e2e][metrics]") {
    auto config = test_config();
    config.idle_timeout = 200ms;
    config.max_line_bytes = 16;
    config.max_connections = 6;
    running_server server(config);

    auto quits = server.connect();
    quits.send("QUIT\n");
    quits.expect_closed();

    auto closes = server.connect();
    closes.send("TIME\n");
    closes.read_line();
    closes.close();

    auto rambles = server.connect();
    rambles.send(std::string(40, 'x') + "\n");
    CHECK(rambles.read_line() == "ERROR: Perintah terlalu panjang.\r\n");

    auto idles = server.connect();
    idles.expect_closed(2s);

    auto resets = server.connect();
    resets.send("TIME\n");
    resets.read_line();
    resets.reset();

    REQUIRE(wait_until([&] { return server.log().count_containing("telah ditutup.") == 5; }, 3s));
    auto stays = server.connect();
    stays.send("TIME\n");
    stays.read_line();
    REQUIRE(server.wait_for_session_count(1));

    auto counted = server.metrics().snapshot();
    CHECK(ended(counted, session_end::quit) == 1);
    CHECK(ended(counted, session_end::client_closed) == 1);
    CHECK(ended(counted, session_end::line_too_long) == 1);
    CHECK(ended(counted, session_end::idle_timeout) == 1);
    CHECK(ended(counted, session_end::io_error) == 1);
    CHECK(ended(counted, session_end::server_stop) == 0);
    CHECK(counted.connections_accepted == 6);
    CHECK(counted.connections_refused == 0);

    server.stop_and_join();
    counted = server.metrics().snapshot();
    CHECK(ended(counted, session_end::server_stop) == 1);
    CHECK(ended(counted, session_end::proxy_header) == 0);
    // Every admitted connection ended exactly once.
    std::uint64_t all_endings = 0;
    for (const auto count : counted.sessions_ended) {
        all_endings += count;
    }
    CHECK(all_endings == counted.connections_accepted - counted.connections_refused);
}

TEST_CASE("refused connections are counted as accepted and refused", "[e2e][metrics]") {
    auto config = test_config();
    config.max_connections = 1;
    running_server server(config);
    auto admitted = server.connect();
    REQUIRE(server.wait_for_session_count(1));
    for (int i = 0; i < 3; ++i) {
        auto refused = server.connect();
        CHECK(refused.read_until_eof() == "ERROR: Server sedang penuh.\r\n");
    }
    const auto counted = server.metrics().snapshot();
    CHECK(counted.connections_accepted == 4);
    CHECK(counted.connections_refused == 3);
    CHECK(counted.accept_errors == 0);
}

}  // namespace
