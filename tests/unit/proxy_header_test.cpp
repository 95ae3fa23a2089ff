// proxy_header_test.cpp - parse_proxy_header against HAProxy's
// proxy-protocol.txt: every valid v1 and v2 shape, the bytes after the header
// left for the protocol, every strict prefix answered need_more, and the
// malformed shapes refused with a reason.
#include "proxy_header.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <catch2/catch.hpp>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace Catch {
template <>
struct StringMaker<time_server::proxy_header_result::status> {
    static std::string convert(time_server::proxy_header_result::status value) {
        switch (value) {
        case time_server::proxy_header_result::status::need_more:
            return "need_more";
        case time_server::proxy_header_result::status::done:
            return "done";
        case time_server::proxy_header_result::status::malformed:
            return "malformed";
        }
        return "status #" + std::to_string(static_cast<int>(value));
    }
};
}  // namespace Catch

namespace {

namespace net = boost::asio;
using time_server::max_proxy_header_bytes;
using time_server::parse_proxy_header;
using time_server::proxy_header_result;
using status = proxy_header_result::status;
using namespace std::string_literals;
using namespace std::string_view_literals;

// Parses a copy of exactly `bytes`, so a read past the end is a read past
// a heap block (which the asan preset reports).
proxy_header_result parse(std::string_view bytes) {
    const std::vector<char> copy(bytes.begin(), bytes.end());
    return parse_proxy_header(std::span<const char>(copy.data(), copy.size()));
}

net::ip::tcp::endpoint endpoint(std::string_view address, std::uint16_t port) {
    return {net::ip::make_address(std::string(address)), port};
}

const std::string v2_signature("\r\n\r\n\0\r\nQUIT\n", 12);

std::string be16(std::size_t value) {
    return {static_cast<char>((value >> 8U) & 0xffU), static_cast<char>(value & 0xffU)};
}

// A v2 header: signature, version/command, family/transport, length, body.
std::string v2(unsigned char version_command, unsigned char family_transport, std::string_view body) {
    return v2_signature + static_cast<char>(version_command) + static_cast<char>(family_transport) + be16(body.size()) +
           std::string(body);
}

// 192.0.2.1:56324 -> 198.51.100.7:45000, network byte order.
const std::string v2_inet_addresses = "\xc0\x00\x02\x01\xc6\x33\x64\x07\xdc\x04\xaf\xc8"s;

// 2001:db8::1:56324 -> 2001:db8::2:45000.
const std::string v2_inet6_addresses =
    "\x20\x01\x0d\xb8\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01"
    "\x20\x01\x0d\xb8\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02"
    "\xdc\x04\xaf\xc8"s;

// Two TLVs: PP2_TYPE_AUTHORITY "example.com" and a PP2_TYPE_NOOP of 3 bytes.
const std::string v2_tlvs = "\x02\x00\x0b"s + "example.com" + "\x04\x00\x03\x00\x00\x00"s;

void require_done(const proxy_header_result& result, std::size_t header_bytes,
                  const std::optional<net::ip::tcp::endpoint>& source) {
    REQUIRE(result.state == status::done);
    CHECK(result.header_bytes == header_bytes);
    CHECK(result.source == source);
    CHECK(result.reason.empty());
}

void require_malformed(std::string_view bytes) {
    INFO("bytes: " << std::string(bytes));
    const auto result = parse(bytes);
    REQUIRE(result.state == status::malformed);
    CHECK(result.header_bytes == 0);
    CHECK(!result.source);
    CHECK(!result.reason.empty());
}

// Every strict prefix is need_more, and the whole header with any protocol
// data after it is the same done result.
void require_header(std::string_view header, const std::optional<net::ip::tcp::endpoint>& source) {
    INFO("header size " << header.size());
    for (std::size_t size = 0; size < header.size(); ++size) {
        INFO("prefix of " << size << " bytes");
        const auto prefix = parse(header.substr(0, size));
        CHECK(prefix.state == status::need_more);
        CHECK(prefix.header_bytes == 0);
        CHECK(!prefix.source);
    }
    require_done(parse(header), header.size(), source);
    const std::string with_data = std::string(header) + "TIME\r\nQUIT\r\n";
    require_done(parse(with_data), header.size(), source);
    CHECK(std::string_view(with_data).substr(parse(with_data).header_bytes) == "TIME\r\nQUIT\r\n");
}

TEST_CASE("proxy header v1 TCP4 gives the source address and port", "[unit][proxy]") {
    require_header("PROXY TCP4 192.0.2.1 198.51.100.7 56324 45000\r\n", endpoint("192.0.2.1", 56324));
    require_header("PROXY TCP4 0.0.0.0 255.255.255.255 0 65535\r\n", endpoint("0.0.0.0", 0));
    require_header("PROXY TCP4 255.255.255.255 255.255.255.255 65535 65535\r\n", endpoint("255.255.255.255", 65535));
}

TEST_CASE("proxy header v1 TCP6 gives the source address and port", "[unit][proxy]") {
    require_header("PROXY TCP6 2001:db8::1 2001:db8::2 56324 45000\r\n", endpoint("2001:db8::1", 56324));
    require_header(
        "PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
        "65535 65535\r\n",
        endpoint("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 65535));
    require_header("PROXY TCP6 ::1 ::1 1 2\r\n", endpoint("::1", 1));
    // IPv4-mapped stays IPv6 here; describe_peer() shows it as IPv4.
    require_header("PROXY TCP6 ::ffff:192.0.2.1 ::ffff:198.51.100.7 56324 45000\r\n",
                   endpoint("::ffff:192.0.2.1", 56324));
    require_header("PROXY TCP6 2001:DB8::A 2001:db8::b 1 2\r\n", endpoint("2001:db8::a", 1));
}

TEST_CASE("proxy header v1 UNKNOWN keeps the connection's peer", "[unit][proxy]") {
    require_header("PROXY UNKNOWN\r\n", std::nullopt);
    require_header("PROXY UNKNOWN 192.0.2.1 198.51.100.7 56324 45000\r\n", std::nullopt);
    require_header("PROXY UNKNOWN anything at all, even \x01\xff bytes\r\n", std::nullopt);
    // The spec's worst case: exactly 107 bytes with the CRLF.
    const std::string longest =
        "PROXY UNKNOWN ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
        "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n";
    REQUIRE(longest.size() == 107);
    require_header(longest, std::nullopt);
}

TEST_CASE("proxy header v2 PROXY TCP4 and TCP6 give the source with or without TLVs", "[unit][proxy]") {
    require_header(v2(0x21, 0x11, v2_inet_addresses), endpoint("192.0.2.1", 56324));
    require_header(v2(0x21, 0x11, v2_inet_addresses + v2_tlvs), endpoint("192.0.2.1", 56324));
    require_header(v2(0x21, 0x21, v2_inet6_addresses), endpoint("2001:db8::1", 56324));
    require_header(v2(0x21, 0x21, v2_inet6_addresses + v2_tlvs), endpoint("2001:db8::1", 56324));
}

TEST_CASE("proxy header v2 LOCAL and UNSPEC and UDP and UNIX keep the connection's peer", "[unit][proxy]") {
    SECTION("LOCAL, with or without addresses; its family is ignored") {
        require_header(v2(0x20, 0x00, ""), std::nullopt);
        require_header(v2(0x20, 0x11, v2_inet_addresses), std::nullopt);
        require_header(v2(0x20, 0xff, v2_tlvs), std::nullopt);
    }
    SECTION("PROXY with AF_UNSPEC or an unspecified transport") {
        require_header(v2(0x21, 0x00, ""), std::nullopt);
        require_header(v2(0x21, 0x00, v2_tlvs), std::nullopt);
        require_header(v2(0x21, 0x10, ""), std::nullopt);
        require_header(v2(0x21, 0x20, "ab"), std::nullopt);
    }
    SECTION("PROXY over UDP (DGRAM) or AF_UNIX") {
        require_header(v2(0x21, 0x12, v2_inet_addresses), std::nullopt);
        require_header(v2(0x21, 0x22, v2_inet6_addresses + v2_tlvs), std::nullopt);
        require_header(v2(0x21, 0x31, std::string(216, 'u')), std::nullopt);
        require_header(v2(0x21, 0x32, std::string(216, 'u') + v2_tlvs), std::nullopt);
    }
}

TEST_CASE("proxy header v2 accepts up to max_proxy_header_bytes and no more", "[unit][proxy]") {
    const auto length = max_proxy_header_bytes - 16;
    require_header(v2(0x21, 0x11, v2_inet_addresses + std::string(length - 12, '\0')), endpoint("192.0.2.1", 56324));
    // Refused at its 16 fixed bytes, long before the rest could arrive.
    require_malformed(v2(0x21, 0x11, v2_inet_addresses + std::string(length - 11, '\0')).substr(0, 16));
    require_malformed(v2_signature + "\x21\x11\xff\xff"s);
}

TEST_CASE("proxy header refuses a plain request at its first byte", "[unit][proxy]") {
    require_malformed("TIME\r\n");
    require_malformed("T");
    require_malformed("time\r\n");
    require_malformed("\n");
    require_malformed("QUIT\r\n");
    require_malformed(" PROXY TCP4 192.0.2.1 198.51.100.7 56324 45000\r\n");
    CHECK(parse("").state == status::need_more);
}

TEST_CASE("proxy header refuses a wrong signature at the first byte that differs", "[unit][proxy]") {
    require_malformed("PROXX");
    require_malformed("PRO\r\n");
    require_malformed("proxy TCP4 192.0.2.1 198.51.100.7 56324 45000\r\n");
    require_malformed("PROXY\tTCP4 192.0.2.1 198.51.100.7 56324 45000\r\n");
    require_malformed("\r\n\r\nQUIT\r\n");
    require_malformed("\r\n\r\n\0\r\nQUIX"s);
    // A full v2 header with one signature byte changed.
    for (std::size_t i = 0; i < 12; ++i) {
        INFO("signature byte " << i);
        auto header = v2(0x21, 0x11, v2_inet_addresses);
        header[i] = static_cast<char>(header[i] ^ 0x40);
        require_malformed(header);
        require_malformed(header.substr(0, i + 1));
    }
}

TEST_CASE("proxy header v2 refuses an unknown version or command or family or transport", "[unit][proxy]") {
    SECTION("version other than 2, seen as soon as its byte is in") {
        for (const unsigned char version_command : {0x01, 0x11, 0x31, 0xf1, 0x10, 0x00}) {
            INFO("version/command byte " << static_cast<int>(version_command));
            const auto header = v2(version_command, 0x11, v2_inet_addresses);
            require_malformed(header);
            require_malformed(header.substr(0, 13));
        }
    }
    SECTION("commands other than LOCAL and PROXY") {
        for (const unsigned char version_command : {0x22, 0x23, 0x2f}) {
            require_malformed(v2(version_command, 0x11, v2_inet_addresses));
        }
    }
    SECTION("families above AF_UNIX, transports above DGRAM") {
        for (const unsigned char family_transport : {0x41, 0xf1, 0x13, 0x1f, 0x03}) {
            INFO("family/transport byte " << static_cast<int>(family_transport));
            const auto header = v2(0x21, family_transport, v2_inet6_addresses + std::string(200, '\0'));
            require_malformed(header);
            require_malformed(header.substr(0, 14));
        }
    }
}

TEST_CASE("proxy header v2 refuses a length too short for the family", "[unit][proxy]") {
    require_malformed(v2(0x21, 0x11, v2_inet_addresses.substr(0, 11)));
    require_malformed(v2(0x21, 0x11, ""));
    require_malformed(v2(0x21, 0x12, v2_inet_addresses.substr(0, 11)));
    require_malformed(v2(0x21, 0x21, v2_inet6_addresses.substr(0, 35)));
    require_malformed(v2(0x21, 0x21, v2_inet_addresses));
    require_malformed(v2(0x21, 0x31, std::string(215, 'u')));
    // Decided from the length alone, before the body arrives.
    require_malformed(v2(0x21, 0x21, v2_inet6_addresses.substr(0, 35)).substr(0, 16));
}

TEST_CASE("proxy header v1 refuses addresses that do not parse as the family says", "[unit][proxy]") {
    for (const auto line : {
             "PROXY TCP4 192.0.2.1 198.51.100 56324 45000\r\n"sv,
             "PROXY TCP4 256.0.2.1 198.51.100.7 56324 45000\r\n"sv,
             "PROXY TCP4 192.0.2.01 198.51.100.7 56324 45000\r\n"sv,
             "PROXY TCP4 192.0.2.1.5 198.51.100.7 56324 45000\r\n"sv,
             "PROXY TCP4 192..2.1 198.51.100.7 56324 45000\r\n"sv,
             "PROXY TCP4 1000.0.2.1 198.51.100.7 56324 45000\r\n"sv,
             "PROXY TCP4 2001:db8::1 198.51.100.7 56324 45000\r\n"sv,
             "PROXY TCP4 ::ffff:192.0.2.1 198.51.100.7 56324 45000\r\n"sv,
             "PROXY TCP6 192.0.2.1 2001:db8::2 56324 45000\r\n"sv,
             "PROXY TCP6 2001:db8::1::2 2001:db8::2 56324 45000\r\n"sv,
             "PROXY TCP6 2001:db8::g 2001:db8::2 56324 45000\r\n"sv,
             "PROXY TCP6 fe80::1%eth0 2001:db8::2 56324 45000\r\n"sv,
             "PROXY TCP6 fe80::1%1 2001:db8::2 56324 45000\r\n"sv,
             "PROXY TCP6 2001:db8::1 2001:db8:2 56324 45000\r\n"sv,
             "PROXY TCP5 192.0.2.1 198.51.100.7 56324 45000\r\n"sv,
             "PROXY UDP4 192.0.2.1 198.51.100.7 56324 45000\r\n"sv,
             "PROXY UNKNOWNX\r\n"sv,
             "PROXY \r\n"sv,
             "PROXY TCP4\r\n"sv,
         }) {
        require_malformed(line);
    }
}

TEST_CASE("proxy header v1 refuses ports out of range or signed or zero-padded", "[unit][proxy]") {
    for (const auto line : {
             "PROXY TCP4 192.0.2.1 198.51.100.7 65536 45000\r\n"sv,
             "PROXY TCP4 192.0.2.1 198.51.100.7 56324 65536\r\n"sv,
             "PROXY TCP4 192.0.2.1 198.51.100.7 99999 45000\r\n"sv,
             "PROXY TCP4 192.0.2.1 198.51.100.7 100000 45000\r\n"sv,
             "PROXY TCP4 192.0.2.1 198.51.100.7 056324 45000\r\n"sv,
             "PROXY TCP4 192.0.2.1 198.51.100.7 00 45000\r\n"sv,
             "PROXY TCP4 192.0.2.1 198.51.100.7 +5632 45000\r\n"sv,
             "PROXY TCP4 192.0.2.1 198.51.100.7 -1 45000\r\n"sv,
             "PROXY TCP6 ::1 ::1 0x10 45000\r\n"sv,
             "PROXY TCP6 ::1 ::1 65536 1\r\n"sv,
         }) {
        require_malformed(line);
    }
}

TEST_CASE("proxy header v1 refuses wrong spacing and line ends", "[unit][proxy]") {
    for (const auto line : {
             "PROXY  TCP4 192.0.2.1 198.51.100.7 56324 45000\r\n"sv,
             "PROXY TCP4  192.0.2.1 198.51.100.7 56324 45000\r\n"sv,
             "PROXY TCP4 192.0.2.1  198.51.100.7 56324 45000\r\n"sv,
             "PROXY TCP4 192.0.2.1 198.51.100.7 56324 45000 \r\n"sv,
             "PROXY TCP4 192.0.2.1 198.51.100.7 56324\r\n"sv,
             "PROXY TCP4 192.0.2.1 198.51.100.7 56324 45000 1\r\n"sv,
             "PROXY TCP4 192.0.2.1 198.51.100.7 56324 45000\n"sv,
             "PROXY TCP4 192.0.2.1 198.51.100.7 56324 45000\rX"sv,
             "PROXY TCP4 192.0.2.1 198.51.100.7 56324 45000\r\r\n"sv,
             "PROXY UNKNOWN\n"sv,
             "PROXY UNKNOWN \n\r\n"sv,
             "PROXY TCP4 192.0.2.1\t198.51.100.7 56324 45000\r\n"sv,
         }) {
        require_malformed(line);
    }
}

TEST_CASE("proxy header v1 refuses a line over 107 bytes", "[unit][proxy]") {
    const std::string longest = "PROXY UNKNOWN " + std::string(107 - 16, 'x') + "\r\n";
    REQUIRE(longest.size() == 107);
    CHECK(parse(longest).state == status::done);

    const std::string too_long = "PROXY UNKNOWN " + std::string(107 - 15, 'x') + "\r\n";
    require_malformed(too_long);
    // Without waiting for a CRLF that could only come too late.
    require_malformed(too_long.substr(0, 107));
    CHECK(parse(too_long.substr(0, 106)).state == status::need_more);
    require_malformed("PROXY UNKNOWN " + std::string(500, 'x'));
}

TEST_CASE("proxy header v1 refuses garbage before the CRLF arrives", "[unit][proxy]") {
    require_malformed("PROXY TCP4 192.0.2.1 x");
    require_malformed("PROXY TCP4 192.0.2.1 ::1");
    require_malformed("PROXY TCP6 ::1 g");
    require_malformed("PROXY TCP7");
    require_malformed("PROXY UNKNOWNX");
    require_malformed("PROXY GET / HTTP/1.1");
    CHECK(parse("PROXY TCP4 192.0.2.1 ").state == status::need_more);
    CHECK(parse("PROXY UNKNOWN \x01\xff").state == status::need_more);
}

TEST_CASE("proxy header malformed reasons are plain text without client bytes", "[unit][proxy]") {
    for (const auto bytes : {"TIME\r\n"sv, "PROXY TCP4 1.2.3.4 5.6.7.8 65536 1\r\n"sv, "PROXY TCP9 \r\n"sv}) {
        const auto result = parse(bytes);
        REQUIRE(result.state == status::malformed);
        for (const char c : result.reason) {
            CHECK((c >= 0x20 && c < 0x7f));
        }
        CHECK(result.reason.find("65536") == std::string_view::npos);
        CHECK(result.reason.find("TCP9") == std::string_view::npos);
    }
}

}  // namespace
