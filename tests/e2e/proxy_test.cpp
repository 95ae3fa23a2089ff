// proxy_test.cpp - --proxy-protocol end to end: the PROXY header's source is
// the peer everywhere, the log included; a bad, missing or slow header gets no
// reply, one warning naming the connection's own peer, and a close.
#include "running_server.hpp"
#include "wait.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

namespace {

using namespace std::chrono_literals;
using test_support::fixed_time_reply;
using test_support::running_server;
using test_support::test_config;

time_server::server_config proxy_config() {
    auto config = test_config();
    config.proxy_protocol = true;
    config.proxy_header_timeout = 300ms;
    return config;
}

// A version 2 header: signature, version 2 + `command`, `family`, the
// addresses and ports, and `tlv_bytes` bytes of TLVs to skip.
std::string v2_header(unsigned char command, unsigned char family, const std::vector<unsigned char>& addresses,
                      std::size_t tlv_bytes = 0) {
    std::string header("\r\n\r\n\0\r\nQUIT\n", 12);
    header += static_cast<char>(0x20 | command);
    header += static_cast<char>(family);
    const std::size_t length = addresses.size() + tlv_bytes;
    header += static_cast<char>(length >> 8);
    header += static_cast<char>(length & 0xff);
    header.append(addresses.begin(), addresses.end());
    if (tlv_bytes >= 3) {  // one NOOP TLV (type 0x04) filling them
        header += '\x04';
        header += static_cast<char>((tlv_bytes - 3) >> 8);
        header += static_cast<char>((tlv_bytes - 3) & 0xff);
        header.append(tlv_bytes - 3, 'x');
    }
    return header;
}

TEST_CASE("a v1 header's source is the peer in every log line", "[e2e][proxy]") {
    running_server server(proxy_config());
    auto client = server.connect();
    client.send("PROXY TCP4 192.0.2.7 127.0.0.1 51234 45000\r\nTIME\r\nQUIT\r\n");
    CHECK(client.read_until_eof() == fixed_time_reply);
    const std::string peer = "('192.0.2.7', 51234)";
    REQUIRE(server.log().wait_for_line("Koneksi dengan " + peer + " telah ditutup.", 2s));
    CHECK(server.log().messages_containing(peer) == std::vector<std::string>{
                                                        "Menerima koneksi baru dari " + peer,
                                                        "Menerima request 'TIME' dari " + peer,
                                                        "Mengirim waktu '21:35:10' ke " + peer,
                                                        "Menerima request 'QUIT' dari " + peer,
                                                        "Klien " + peer + " meminta untuk keluar.",
                                                        "Koneksi dengan " + peer + " telah ditutup.",
                                                    });
    CHECK(server.log().count_containing(client.peer_text()) == 0);
}

TEST_CASE("a v2 header with an IPv6 source and TLVs, sent a byte at a time", "[e2e][proxy]") {
    running_server server(proxy_config());
    auto client = server.connect();
    std::vector<unsigned char> addresses(36, 0);
    addresses[0] = 0x20;  // source 2001:db8::1
    addresses[1] = 0x01;
    addresses[2] = 0x0d;
    addresses[3] = 0xb8;
    addresses[15] = 0x01;
    addresses[31] = 0x01;  // destination ::1
    addresses[32] = 0xc8;  // source port 51234
    addresses[33] = 0x22;
    addresses[34] = 0xaf;  // destination port 45000
    addresses[35] = 0xc8;
    const auto header = v2_header(0x01, 0x21, addresses, 7);
    for (const char byte : header) {
        client.send(std::string_view(&byte, 1));
    }
    client.send("time\n");
    CHECK(client.read_line() == fixed_time_reply);
    CHECK(server.log().wait_for_line("Menerima koneksi baru dari ('2001:db8::1', 51234)", 2s));
}

TEST_CASE("PROXY UNKNOWN and a v2 LOCAL keep the connection's own peer", "[e2e][proxy]") {
    running_server server(proxy_config());
    const bool v2 = GENERATE(false, true);
    auto client = server.connect();
    client.send(v2 ? v2_header(0x00, 0x00, {}) + "TIME\n" : std::string("PROXY UNKNOWN\r\nTIME\n"));
    CHECK(client.read_line() == fixed_time_reply);
    CHECK(server.log().wait_for_line("Menerima koneksi baru dari " + client.peer_text(), 2s));
}

TEST_CASE("a missing or malformed header gets no reply, one warning and a close", "[e2e][proxy]") {
    running_server server(proxy_config());
    const std::string bad = GENERATE(as<std::string>{}, "TIME\r\n", "PROXY TCP4 192.0.2.7 127.0.0.1 65536 45000\r\n",
                                     "PROXY TCP4 not.an.address 127.0.0.1 1 2\r\n", std::string(120, 'P'));
    INFO("sent: " << bad);
    auto client = server.connect();
    const auto peer = client.peer_text();
    client.send(bad);
    CHECK(client.read_until_eof() == "");
    REQUIRE(server.wait_for_session_count(0));
    const auto records = server.log().records();
    REQUIRE(records.size() == 2);  // the first line, and the warning
    CHECK(records[1].level == spdlog::level::warn);
    CHECK_THAT(std::string(records[1].message()), Catch::StartsWith("Header PROXY dari " + peer + " tidak valid ("));
}

TEST_CASE("a header not complete within the timeout gets a warning and a close", "[e2e][proxy]") {
    running_server server(proxy_config());
    auto client = server.connect();
    const auto peer = client.peer_text();
    client.send("PROXY TCP4 192.0.2.7");
    client.expect_closed(2s);
    REQUIRE(server.log().wait_for_line("Header PROXY dari " + peer + " tidak lengkap dalam 0.3 detik", 2s));
    CHECK(server.log().records().size() == 2);
}

TEST_CASE("without --proxy-protocol a PROXY line is an unknown command", "[e2e][proxy]") {
    running_server server;
    auto client = server.connect();
    client.send("PROXY TCP4 192.0.2.7 127.0.0.1 51234 45000\r\nTIME\r\n");
    CHECK(client.read_line() == "ERROR: Perintah tidak dikenal.\r\n");
    CHECK(client.read_line() == fixed_time_reply);
}

}  // namespace
