// framing_test.cpp - how bytes become requests on a real connection:
// pipelining, a request split into single bytes, half-close, an unterminated
// last line, the max-line limit, and bytes that are not text at all.
#include "running_server.hpp"

#include <catch2/catch.hpp>

#include <string>

namespace {

using namespace std::chrono_literals;
using test_support::fixed_time_reply;
using test_support::running_server;
using test_support::test_config;

constexpr std::string_view help_reply = "BANTUAN: TIME, QUIT, HELP\r\n";
constexpr std::string_view unknown_reply = "ERROR: Perintah tidak dikenal.\r\n";
constexpr std::string_view too_long_reply = "ERROR: Perintah terlalu panjang.\r\n";

std::string repeated(std::string_view text, int times) {
    std::string result;
    for (int i = 0; i < times; ++i) {
        result += text;
    }
    return result;
}

TEST_CASE("1000 pipelined TIME requests in one write get 1000 replies", "[e2e][framing]") {
    running_server server;
    auto client = server.connect();
    client.send(repeated("TIME\r\n", 1000));
    const auto expected = repeated(fixed_time_reply, 1000);
    CHECK(client.read_exactly(expected.size()) == expected);
    // Nothing more than one reply per request.
    client.send("HELP\n");
    CHECK(client.read_line() == help_reply);
}

TEST_CASE("pipelined requests are answered in order", "[e2e][framing]") {
    running_server server;
    auto client = server.connect();
    // A mix whose replies differ, so any reordering or loss shows.
    std::string requests;
    std::string expected;
    for (int i = 0; i < 1000; ++i) {
        if (i % 7 == 0) {
            requests += "HELP\n";
            expected += help_reply;
        } else if (i % 5 == 0) {
            requests += "what " + std::to_string(i) + "\r\n";
            expected += unknown_reply;
        } else if (i % 3 == 0) {
            requests += "\n";  // no reply
        } else {
            requests += "time\r\n";
            expected += fixed_time_reply;
        }
    }
    client.send(requests);
    CHECK(client.read_exactly(expected.size()) == expected);
    client.send("QUIT\n");
    CHECK(client.read_until_eof() == "");
}

TEST_CASE("a request sent one byte at a time is answered once it is complete", "[e2e][framing]") {
    running_server server;
    auto client = server.connect();
    for (const char c : std::string_view("TIME\r\nHELP\n")) {
        client.send(std::string_view(&c, 1));
    }
    CHECK(client.read_line() == fixed_time_reply);
    CHECK(client.read_line() == help_reply);
    // A CR sent alone, then its LF later, is still a CRLF.
    client.send("TIME\r");
    client.send("\n");
    CHECK(client.read_line() == fixed_time_reply);
}

TEST_CASE("after a half-close the pending lines are answered, then the server closes", "[e2e][framing]") {
    running_server server;
    auto client = server.connect();
    client.send("TIME\r\nHELP\nnope\n");
    client.shutdown_write();
    CHECK(client.read_until_eof() ==
          std::string(fixed_time_reply) + std::string(help_reply) + std::string(unknown_reply));
    const auto peer = client.peer_text();
    CHECK(server.log().wait_for_line("Koneksi dengan " + peer + " ditutup oleh klien.", 2s));
    CHECK(server.wait_for_session_count(0));
}

TEST_CASE("an unterminated last line at half-close is handled as if it ended with LF", "[e2e][framing]") {
    running_server server;
    auto client = server.connect();
    std::string expected;
    SECTION("TIME") {
        client.send("TIME");
        expected = fixed_time_reply;
    }
    SECTION("TIME and a CR") {
        client.send("TIME\r");
        expected = fixed_time_reply;
    }
    SECTION("after complete lines") {
        client.send("HELP\r\ntime");
        expected = std::string(help_reply) + std::string(fixed_time_reply);
    }
    SECTION("an unknown command") {
        client.send("TIME now");
        expected = unknown_reply;
    }
    SECTION("QUIT: no reply") {
        client.send("QUIT");
    }
    SECTION("blanks only: an empty line, no reply") {
        client.send(" \t");
    }
    client.shutdown_write();
    CHECK(client.read_until_eof() == expected);
    CHECK(server.wait_for_session_count(0));
}

TEST_CASE("a line of exactly max-line bytes is answered", "[e2e][framing][limits]") {
    auto config = test_config();
    config.max_line_bytes = 16;
    running_server server(config);
    auto client = server.connect();
    SECTION("16 bytes before the LF") {
        client.send("TIME" + std::string(12, ' ') + "\n");
    }
    SECTION("15 bytes and a CR before the LF") {
        client.send("TIME" + std::string(11, ' ') + "\r\n");
    }
    SECTION("16 bytes first, the LF later: no early error") {
        client.send("  TIME" + std::string(10, ' '));
        // An early too-long reply would arrive before this TIME's answer.
        client.send("\n");
    }
    CHECK(client.read_line() == fixed_time_reply);
    client.send("HELP\n");
    CHECK(client.read_line() == help_reply);
}

TEST_CASE("an unterminated last line of exactly max-line bytes is answered at half-close", "[e2e][framing][limits]") {
    auto config = test_config();
    config.max_line_bytes = 16;
    running_server server(config);
    auto client = server.connect();
    SECTION("16 bytes") {
        client.send("TIME" + std::string(12, ' '));
    }
    SECTION("15 bytes and a CR") {
        client.send("TIME" + std::string(11, ' ') + "\r");
    }
    client.shutdown_write();
    CHECK(client.read_until_eof() == fixed_time_reply);
}

TEST_CASE("a line over max-line is refused with an error, then the connection closes", "[e2e][framing][limits]") {
    auto config = test_config();
    config.max_line_bytes = 16;
    running_server server(config);
    auto client = server.connect();
    SECTION("17 bytes and LF") {
        client.send("TIME" + std::string(13, ' ') + "\n");
    }
    SECTION("16 bytes and a CR count as 17") {
        client.send("TIME" + std::string(12, ' ') + "\r\n");
    }
    SECTION("17 bytes and no LF ever: the error comes before any LF") {
        client.send(std::string(17, 'x'));
    }
    SECTION("a long burst without LF") {
        client.send(std::string(4000, 'x'));
    }
    SECTION("after answered lines in the same write") {
        client.send("TIME\nHELP\n" + std::string(40, 'y'));
        CHECK(client.read_line() == fixed_time_reply);
        CHECK(client.read_line() == help_reply);
    }
    CHECK(client.read_line() == too_long_reply);
    // The server shuts its side at once; it may linger to drain, not to talk.
    CHECK(client.read_until_eof() == "");
    const auto peer = client.peer_text();
    client.close();
    const auto line = server.log().wait_for_line("Baris dari " + peer + " terlalu panjang", 2s);
    REQUIRE(line);
    CHECK_THAT(*line, Catch::Contains("16"));
    CHECK(server.wait_for_session_count(0));
}

TEST_CASE("the default max-line is 1024 bytes", "[e2e][framing][limits]") {
    running_server server;
    auto client = server.connect();
    client.send("time" + std::string(1020, ' ') + "\n");
    CHECK(client.read_line() == fixed_time_reply);
    client.send(std::string(1025, 'x'));
    CHECK(client.read_line() == too_long_reply);
    CHECK(client.read_until_eof() == "");
}

TEST_CASE("binary bytes, NUL and invalid UTF-8 are unknown commands", "[e2e][framing]") {
    running_server server;
    auto client = server.connect();
    const std::string requests[] = {
        std::string("TI\0ME\n", 6),
        std::string("\0\n", 2),
        std::string("TIME\0\n", 6),
        "\xff\xfe\xfd\n",
        "\xc3\x28\n",      // a broken two-byte UTF-8 sequence
        "\xed\xa0\x80\n",  // a UTF-16 surrogate encoded in UTF-8
        "T\xc3\x8dME\n",
        "\x1b[2J\x1b[31mTIME\n",
        "\x01\x02\x03\x04\x7f\r\n",
    };
    for (const auto& request : requests) {
        INFO("request bytes: " << request.size());
        client.send(request);
        CHECK(client.read_line() == unknown_reply);
    }
    // Every byte value in one line: still just one unknown command.
    std::string all_bytes;
    for (int b = 0; b < 256; ++b) {
        if (b != '\n') {
            all_bytes += static_cast<char>(b);
        }
    }
    client.send(all_bytes + "\n");
    CHECK(client.read_line() == unknown_reply);
    client.send("TIME\n");
    CHECK(client.read_line() == fixed_time_reply);
}

}  // namespace
