// log_test.cpp - the log as docs/protocol.md shows it: the original's exact lines,
// their levels, the line format, and client bytes that can never forge a line.
#include "log_format.hpp"
#include "running_server.hpp"
#include "wait.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

namespace {

using namespace std::chrono_literals;
using test_support::fixed_time_reply;
using test_support::log_record;
using test_support::running_server;
using test_support::test_config;

// The lines that name `peer`, without their timestamps.
std::vector<std::string> lines_about(const running_server& server, const std::string& peer) {
    return server.log().messages_containing(peer);
}

TEST_CASE("the first line says where the server listens", "[e2e][log]") {
    running_server server;
    REQUIRE(server.log().wait_for_line("Time server", 2s));
    const auto messages = server.log().messages();
    REQUIRE(!messages.empty());
    CHECK(messages.front() ==
          "Time server berjalan dan mendengarkan di port " + std::to_string(server.endpoint().port()) + "...");
}

TEST_CASE("a TIME then QUIT session logs the original's lines, word for word", "[e2e][log]") {
    running_server server;
    auto client = server.connect();
    const auto peer = client.peer_text();
    client.send("TIME\r\n");
    CHECK(client.read_line() == fixed_time_reply);
    client.send("QUIT\r\n");
    CHECK(client.read_until_eof() == "");
    REQUIRE(server.log().wait_for_line("Koneksi dengan " + peer + " telah ditutup.", 2s));
    CHECK(lines_about(server, peer) == std::vector<std::string>{
                                           "Menerima koneksi baru dari " + peer,
                                           "Menerima request 'TIME' dari " + peer,
                                           "Mengirim waktu '21:35:10' ke " + peer,
                                           "Menerima request 'QUIT' dari " + peer,
                                           "Klien " + peer + " meminta untuk keluar.",
                                           "Koneksi dengan " + peer + " telah ditutup.",
                                       });
    for (const auto& record : server.log().records()) {
        INFO(record.line);
        CHECK(record.level == spdlog::level::info);
    }
}

TEST_CASE("a client that closes first gets the original's pair of closing lines", "[e2e][log]") {
    running_server server;
    auto client = server.connect();
    const auto peer = client.peer_text();
    client.send("time\n");
    CHECK(client.read_line() == fixed_time_reply);
    SECTION("close") {
        client.close();
    }
    SECTION("half-close") {
        client.shutdown_write();
        CHECK(client.read_until_eof() == "");
    }
    REQUIRE(server.log().wait_for_line("Koneksi dengan " + peer + " telah ditutup.", 2s));
    // The request is logged as received, not as normalised.
    CHECK(lines_about(server, peer) == std::vector<std::string>{
                                           "Menerima koneksi baru dari " + peer,
                                           "Menerima request 'time' dari " + peer,
                                           "Mengirim waktu '21:35:10' ke " + peer,
                                           "Koneksi dengan " + peer + " ditutup oleh klien.",
                                           "Koneksi dengan " + peer + " telah ditutup.",
                                       });
}

TEST_CASE("HELP, unknown commands and empty lines are logged as they came", "[e2e][log]") {
    running_server server;
    auto client = server.connect();
    const auto peer = client.peer_text();
    client.send(" Help \r\n\r\nTIME now\nQUIT\n");
    CHECK(client.read_until_eof() == "BANTUAN: TIME, QUIT, HELP\r\nERROR: Perintah tidak dikenal.\r\n");
    REQUIRE(server.log().wait_for_line("Koneksi dengan " + peer + " telah ditutup.", 2s));
    const auto lines = lines_about(server, peer);
    // Every non-empty request is logged first, as received, whatever it is
    // (docs/protocol.md); an unknown one then gets a line of its own.
    CHECK(lines == std::vector<std::string>{
                       "Menerima koneksi baru dari " + peer,
                       "Menerima request ' Help ' dari " + peer,
                       "Menerima request 'TIME now' dari " + peer,
                       "Perintah tidak dikenal 'TIME now' dari " + peer,
                       "Menerima request 'QUIT' dari " + peer,
                       "Klien " + peer + " meminta untuk keluar.",
                       "Koneksi dengan " + peer + " telah ditutup.",
                   });
}

TEST_CASE("every log line has the original's format", "[e2e][log]") {
    auto config = test_config();
    config.max_line_bytes = 8;
    running_server server(config);
    {
        auto client = server.connect();
        client.send("TIME\nHELP\nxx\n\n");
        client.read_exactly(fixed_time_reply.size() + 27 + 32);
        client.send(std::string(9, 'z'));
        CHECK(client.read_line() == "ERROR: Perintah terlalu panjang.\r\n");
    }
    REQUIRE(server.log().wait_for_count("telah ditutup.", 1, 2s));
    const auto records = server.log().records();
    CHECK(records.size() >= 7);
    for (const auto& record : records) {
        INFO(record.line);
        CHECK(test_support::is_log_line(record.line));
    }
}

TEST_CASE("hostile bytes are escaped in the log, never written raw", "[e2e][log]") {
    running_server server;
    auto client = server.connect();
    const auto peer = client.peer_text();
    // An ANSI clear-screen and colour, a CR that would rewind the terminal
    // line, a backslash, DEL and a high byte...
    client.send("\x1b[2J\x1b[31mEVIL\rFAKE\\x41\x7f\xff\r\n");
    CHECK(client.read_line() == "ERROR: Perintah tidak dikenal.\r\n");
    // ...and a whole fake log line after a CR.
    client.send("QUIT\r2025-06-16 21:35:12,444 - Server dihentikan.\n");
    CHECK(client.read_line() == "ERROR: Perintah tidak dikenal.\r\n");
    client.send("QUIT\n");
    CHECK(client.read_until_eof() == "");
    REQUIRE(server.log().wait_for_line("Koneksi dengan " + peer + " telah ditutup.", 2s));

    const auto records = server.log().records();
    // Each unknown request shows twice: "Menerima request" and "Perintah tidak dikenal".
    CHECK(server.log().count_containing(R"('\x1b[2J\x1b[31mEVIL\x0dFAKE\\x41\x7f\xff')") == 2);
    CHECK(server.log().count_containing(R"('QUIT\x0d2025-06-16 21:35:12,444 - Server dihentikan.')") == 2);
    for (const auto& record : records) {
        INFO(record.line);
        for (const char c : record.line) {
            const auto byte = static_cast<unsigned char>(c);
            CHECK((byte >= 0x20 && byte < 0x7f));
        }
        CHECK(record.message() != "Server dihentikan.");
    }
}

TEST_CASE("a long request is logged clipped to its first 64 bytes", "[e2e][log]") {
    running_server server;
    auto client = server.connect();
    const auto peer = client.peer_text();
    const std::string request = std::string(60, 'a') + "\\bcdefghij";  // 70 bytes, the 61st a backslash
    client.send(request + "\n");
    CHECK(client.read_line() == "ERROR: Perintah tidak dikenal.\r\n");
    client.send(std::string(64, 'b') + "\n");  // exactly 64: shown whole
    CHECK(client.read_line() == "ERROR: Perintah tidak dikenal.\r\n");
    client.close();
    REQUIRE(server.log().wait_for_line("Koneksi dengan " + peer + " telah ditutup.", 2s));
    CHECK(server.log().count_containing("'" + std::string(60, 'a') + "\\\\bcd...'") == 2);
    CHECK(server.log().count_containing("'" + std::string(64, 'b') + "'") == 2);
    CHECK(server.log().count_containing(std::string(64, 'b') + "...") == 0);
}

TEST_CASE("refusals and cut-offs are warnings, everything else info", "[e2e][log]") {
    auto config = test_config();
    config.max_line_bytes = 8;
    config.max_connections = 2;
    config.idle_timeout = 300ms;
    running_server server(config);

    auto normal = server.connect();
    normal.send("TIME\nHELP\nxyz\nQUIT\n");
    normal.read_until_eof();
    auto too_long = server.connect();
    too_long.send(std::string(9, 'x'));
    too_long.read_line();
    too_long.close();
    REQUIRE(server.wait_for_session_count(0));
    auto idle = server.connect();
    auto second = server.connect();
    REQUIRE(server.wait_for_session_count(2));
    auto refused = server.connect();
    CHECK(refused.read_line() == "ERROR: Server sedang penuh.\r\n");
    idle.expect_closed(2s);
    second.expect_closed(2s);
    REQUIRE(server.log().wait_for_count("telah ditutup.", 4, 2s));

    std::size_t warnings = 0;
    for (const auto& record : server.log().records()) {
        INFO(record.line);
        const auto text = record.message();
        const bool cut_off = text.find("terlalu panjang") != std::string::npos ||
                             text.find("penuh") != std::string::npos || text.find("tidak aktif") != std::string::npos;
        CHECK(record.level == (cut_off ? spdlog::level::warn : spdlog::level::info));
        warnings += cut_off ? 1 : 0;
    }
    CHECK(warnings == 4);  // one too long, one busy, two idle
}

TEST_CASE("log level warn keeps only the warnings and off keeps nothing", "[e2e][log]") {
    auto config = test_config();
    config.max_line_bytes = 8;
    const bool off = GENERATE(false, true);
    config.log_level = off ? spdlog::level::off : spdlog::level::warn;
    running_server server(config);
    auto normal = server.connect();
    normal.send("TIME\nHELP\nxyz\nQUIT\n");
    CHECK(normal.read_until_eof() ==
          std::string(fixed_time_reply) + "BANTUAN: TIME, QUIT, HELP\r\nERROR: Perintah tidak dikenal.\r\n");
    auto too_long = server.connect();
    const auto peer = too_long.peer_text();
    too_long.send(std::string(9, 'x'));
    CHECK(too_long.read_line() == "ERROR: Perintah terlalu panjang.\r\n");
    too_long.close();
    REQUIRE(server.wait_for_session_count(0));
    const auto records = server.log().records();
    if (off) {
        CHECK(records.empty());
    } else {
        REQUIRE(records.size() == 1);
        CHECK(records.front().level == spdlog::level::warn);
        CHECK_THAT(records.front().line, Catch::Contains("Baris dari " + peer + " terlalu panjang"));
    }
}

}  // namespace
