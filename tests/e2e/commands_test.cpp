// commands_test.cpp - docs/protocol.md's command table over a real loopback
// connection: TIME, QUIT, HELP, the empty line and unknown commands.
#include "running_server.hpp"

#include <catch2/catch.hpp>

#include <string>

namespace {

using test_support::fixed_time_reply;
using test_support::running_server;

constexpr std::string_view help_reply = "BANTUAN: TIME, QUIT, HELP\r\n";
constexpr std::string_view unknown_reply = "ERROR: Perintah tidak dikenal.\r\n";

TEST_CASE("TIME is answered with JAM hh:mm:ss and the connection stays open", "[e2e][commands]") {
    running_server server;
    auto client = server.connect();
    client.send("TIME\r\n");
    CHECK(client.read_line() == fixed_time_reply);
    // Still open: a second request on the same connection is answered too.
    client.send("TIME\n");
    CHECK(client.read_line() == fixed_time_reply);
}

TEST_CASE("requests may end with CRLF (telnet) or LF (netcat)", "[e2e][commands]") {
    running_server server;
    auto client = server.connect();
    client.send("TIME\r\n");
    CHECK(client.read_line() == fixed_time_reply);
    client.send("TIME\n");
    CHECK(client.read_line() == fixed_time_reply);
    client.send("HELP\r\n");
    CHECK(client.read_line() == help_reply);
    client.send("HELP\n");
    CHECK(client.read_line() == help_reply);
}

TEST_CASE("commands match case-insensitively, with spaces and tabs trimmed", "[e2e][commands]") {
    running_server server;
    auto client = server.connect();
    for (const auto* request : {"time\n", " TIME \n", "Time\r\n", "\tTiMe\t\r\n", "  tIME\n"}) {
        INFO("request: " << request);
        client.send(request);
        CHECK(client.read_line() == fixed_time_reply);
    }
    for (const auto* request : {"help\n", " Help\t\r\n"}) {
        INFO("request: " << request);
        client.send(request);
        CHECK(client.read_line() == help_reply);
    }
}

TEST_CASE("HELP lists the commands and the connection stays open", "[e2e][commands]") {
    running_server server;
    auto client = server.connect();
    client.send("HELP\r\n");
    CHECK(client.read_line() == help_reply);
    client.send("TIME\r\n");
    CHECK(client.read_line() == fixed_time_reply);
}

TEST_CASE("an empty line gets no reply and the connection stays open", "[e2e][commands]") {
    running_server server;
    auto client = server.connect();
    // If any of the empty lines were answered, that answer would come before
    // HELP's: the reply order proves they got none.
    client.send("\r\n\n \r\n\t\n");
    client.send("HELP\r\n");
    CHECK(client.read_line() == help_reply);
    client.send("\n");
    client.send("TIME\n");
    CHECK(client.read_line() == fixed_time_reply);
    CHECK(client.unread().empty());
}

TEST_CASE("anything else is an unknown command and the connection stays open", "[e2e][commands]") {
    running_server server;
    auto client = server.connect();
    for (const auto* request : {"TIME now\r\n", "TIMES\n", "JAM\n", "T I M E\n", "QUIT please\n", "HELP!\n",
                                "TIME\r\r\n", "TIME\v\n", "\fTIME\n", "\vQUIT\n"}) {
        INFO("request bytes: " << std::string_view(request).size());
        client.send(request);
        CHECK(client.read_line() == unknown_reply);
    }
    client.send("TIME\r\n");
    CHECK(client.read_line() == fixed_time_reply);
}

TEST_CASE("QUIT gets no reply and the server closes the connection", "[e2e][commands]") {
    running_server server;
    auto client = server.connect();
    SECTION("plain QUIT") {
        client.send("QUIT\r\n");
    }
    SECTION("any case, with blanks") {
        client.send(" quit\t\n");
    }
    SECTION("after an answered request") {
        client.send("TIME\n");
        CHECK(client.read_line() == fixed_time_reply);
        client.send("QUIT\n");
    }
    CHECK(client.read_until_eof() == "");
    CHECK(server.wait_for_session_count(0));
}

TEST_CASE("bytes after QUIT are ignored, the replies before it are sent", "[e2e][commands]") {
    running_server server;
    auto client = server.connect();
    std::size_t times_answered = 0;
    SECTION("in the same write") {
        client.send("TIME\nHELP\nQUIT\nTIME\nHELP\nbogus\n");
        CHECK(client.read_until_eof() == std::string(fixed_time_reply) + std::string(help_reply));
        times_answered = 1;
    }
    SECTION("an unterminated tail after QUIT") {
        client.send("QUIT\r\nTIME");
        CHECK(client.read_until_eof() == "");
    }
    SECTION("more bytes sent after the QUIT was answered by a close") {
        client.send("QUIT\n");
        CHECK(client.read_until_eof() == "");
        // The server has closed; whatever the client still sends is dropped.
        client.send_some("TIME\n", std::chrono::milliseconds(100));
    }
    // The server may linger to drain what follows QUIT until the client
    // closes too; closing lets the session end now.
    client.close();
    CHECK(server.wait_for_session_count(0));
    CHECK(server.log().count_containing("Mengirim waktu") == times_answered);
}

TEST_CASE("every client gets its own answers", "[e2e][commands]") {
    running_server server;
    auto first = server.connect();
    auto second = server.connect();
    first.send("TIME\n");
    second.send("HELP\n");
    CHECK(second.read_line() == help_reply);
    CHECK(first.read_line() == fixed_time_reply);
    second.send("QUIT\n");
    second.expect_closed();
    first.send("HELP\n");
    CHECK(first.read_line() == help_reply);
}

}  // namespace
