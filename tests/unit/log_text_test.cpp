// log_text_test.cpp - how client bytes and peers appear in the log: nothing a
// client sends can put a raw control byte, an ANSI escape or a fake line there.
#include "log_text.hpp"
#include "escaped.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <string>

namespace {

using test_support::escape_for_log;
namespace ip = boost::asio::ip;

ip::tcp::endpoint peer(const char* address, unsigned short port) {
    return {ip::make_address(address), port};
}

TEST_CASE("escape_for_log keeps printable ASCII as is", "[unit][log_text]") {
    CHECK(escape_for_log("TIME") == "TIME");
    CHECK(escape_for_log(" TIME now ") == " TIME now ");
    CHECK(escape_for_log("") == "");
    std::string printable;
    for (char c = 0x20; c < 0x7f; ++c) {
        if (c != '\\') {
            printable += c;
        }
    }
    CHECK(escape_for_log(printable) == printable.substr(0, 64) + "...");
    CHECK(escape_for_log("'quotes' \"too\" ~`!@#$%^&*()") == "'quotes' \"too\" ~`!@#$%^&*()");
}

TEST_CASE("escape_for_log doubles a backslash", "[unit][log_text]") {
    CHECK(escape_for_log("\\") == "\\\\");
    CHECK(escape_for_log("a\\b") == "a\\\\b");
    // A literal "\x1b" typed by the client must stay tellable from a real ESC.
    CHECK(escape_for_log("\\x1b") == "\\\\x1b");
    CHECK(escape_for_log("\x1b") == "\\x1b");
}

TEST_CASE("escape_for_log writes control and high bytes as lowercase hex escapes", "[unit][log_text]") {
    CHECK(escape_for_log(std::string("\0", 1)) == "\\x00");
    CHECK(escape_for_log("\t") == "\\x09");
    CHECK(escape_for_log("\n") == "\\x0a");
    CHECK(escape_for_log("\r") == "\\x0d");
    CHECK(escape_for_log("\x1b[31mRED") == "\\x1b[31mRED");
    CHECK(escape_for_log("\x1f") == "\\x1f");
    CHECK(escape_for_log("\x7f") == "\\x7f");
    CHECK(escape_for_log("\x80") == "\\x80");
    CHECK(escape_for_log("\xab\xcd\xef") == "\\xab\\xcd\\xef");
    CHECK(escape_for_log("\xff") == "\\xff");
    CHECK(escape_for_log("caf\xc3\xa9") == "caf\\xc3\\xa9");  // UTF-8 too: bytes, not characters
    CHECK(escape_for_log("TIME\r\n2025-06-16 21:35:12,444 - fake") == "TIME\\x0d\\x0a2025-06-16 21:35:12,444 - fake");
}

TEST_CASE("escape_for_log never outputs a control byte", "[unit][log_text]") {
    std::string every_byte;
    for (int b = 0; b < 256; ++b) {
        every_byte += static_cast<char>(b);
    }
    for (std::size_t at = 0; at < every_byte.size(); at += 64) {
        const auto escaped = escape_for_log(std::string_view(every_byte).substr(at, 64));
        for (const char c : escaped) {
            const auto byte = static_cast<unsigned char>(c);
            INFO("chunk at " << at << ": " << escaped);
            CHECK((byte >= 0x20 && byte < 0x7f));
        }
    }
}

TEST_CASE("escape_for_log shows the first 64 bytes, then ...", "[unit][log_text]") {
    CHECK(escape_for_log(std::string(63, 'a')) == std::string(63, 'a'));
    CHECK(escape_for_log(std::string(64, 'a')) == std::string(64, 'a'));  // exactly 64: no "..."
    CHECK(escape_for_log(std::string(65, 'a')) == std::string(64, 'a') + "...");
    CHECK(escape_for_log(std::string(100000, 'a')) == std::string(64, 'a') + "...");
    // The clip counts request bytes, not escaped characters.
    std::string sixty_four_escapes;
    for (int i = 0; i < 64; ++i) {
        sixty_four_escapes += "\\x01";
    }
    CHECK(escape_for_log(std::string(64, '\x01')) == sixty_four_escapes);
    CHECK(escape_for_log(std::string(65, '\x01')) == sixty_four_escapes + "...");
    CHECK(escape_for_log(std::string(65, '\\')) == std::string(128, '\\') + "...");
}

TEST_CASE("client_text formats like escape_for_log inside a log line", "[unit][log_text]") {
    CHECK(fmt::format("Menerima request '{}' dari x", time_server::client_text{"T\x1bME"}) ==
          "Menerima request 'T\\x1bME' dari x");
    CHECK(fmt::format("'{}'", time_server::client_text{std::string(70, 'z')}) == "'" + std::string(64, 'z') + "...'");
}

TEST_CASE("describe_peer writes IPv4 like the Python original", "[unit][log_text]") {
    CHECK(time_server::describe_peer(peer("127.0.0.1", 54321)) == "('127.0.0.1', 54321)");
    CHECK(time_server::describe_peer(peer("10.0.0.255", 1)) == "('10.0.0.255', 1)");
    CHECK(time_server::describe_peer(peer("0.0.0.0", 0)) == "('0.0.0.0', 0)");
    CHECK(time_server::describe_peer(peer("255.255.255.255", 65535)) == "('255.255.255.255', 65535)");
}

TEST_CASE("describe_peer writes IPv6 in its short form", "[unit][log_text]") {
    CHECK(time_server::describe_peer(peer("::1", 1)) == "('::1', 1)");
    CHECK(time_server::describe_peer(peer("2001:db8:0:0:0:0:0:1", 45000)) == "('2001:db8::1', 45000)");
    CHECK(time_server::describe_peer(peer("fe80::1", 2)) == "('fe80::1', 2)");
}

TEST_CASE("describe_peer shows an IPv4-mapped IPv6 peer as plain IPv4", "[unit][log_text]") {
    CHECK(time_server::describe_peer(peer("::ffff:127.0.0.1", 54321)) == "('127.0.0.1', 54321)");
    CHECK(time_server::describe_peer(peer("::ffff:192.0.2.7", 7)) == "('192.0.2.7', 7)");
    // Only the mapped prefix counts: the old IPv4-compatible form stays IPv6.
    const auto compatible = time_server::describe_peer(peer("::7f00:1", 9));
    CHECK(compatible != "('127.0.0.1', 9)");
    CHECK(compatible.rfind("('::", 0) == 0);
}

}  // namespace
