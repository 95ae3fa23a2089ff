// proxy_header.cpp - PROXY protocol v1 and v2 parsing over the bytes read so
// far, following HAProxy's doc/proxy-protocol.txt; see proxy_header.hpp.
#include "proxy_header.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>

namespace time_server {
namespace {

namespace net = boost::asio;
using status = proxy_header_result::status;

constexpr std::string_view v1_prefix = "PROXY ";
constexpr std::string_view v1_tcp4 = "TCP4 ";
constexpr std::string_view v1_tcp6 = "TCP6 ";
constexpr std::string_view v1_unknown = "UNKNOWN";
constexpr std::string_view crlf = "\r\n";

// The 12-byte v2 signature; it holds a NUL, hence the explicit size.
constexpr std::string_view v2_signature{"\r\n\r\n\0\r\nQUIT\n", 12};

// Where the v2 fixed bytes after the signature are.
constexpr std::size_t v2_version_command_at = 12;
constexpr std::size_t v2_family_transport_at = 13;
constexpr std::size_t v2_length_at = 14;  // 16 bits, big-endian: the bytes after the fixed 16

// The 13th v2 byte: version (high nibble) and command (low nibble).
constexpr unsigned v2_version = 0x2;
constexpr unsigned v2_command_local = 0x0;
constexpr unsigned v2_command_proxy = 0x1;

// The 14th v2 byte: address family (high nibble) and transport (low nibble).
constexpr unsigned v2_family_unspec = 0x0;
constexpr unsigned v2_family_inet = 0x1;
constexpr unsigned v2_family_inet6 = 0x2;
constexpr unsigned v2_family_unix = 0x3;
constexpr unsigned v2_transport_unspec = 0x0;
constexpr unsigned v2_transport_stream = 0x1;
constexpr unsigned v2_transport_dgram = 0x2;

// The address block of each family: source and destination addresses, then
// (INET, INET6) the source and destination ports.
constexpr std::size_t v2_inet_address_bytes = 12;
constexpr std::size_t v2_inet6_address_bytes = 36;
constexpr std::size_t v2_unix_address_bytes = 216;

// Longest IPv6 text without a scope id ("ffff:...:255.255.255.255").
constexpr std::size_t max_ipv6_text = 45;
constexpr std::size_t max_port_digits = 5;
constexpr unsigned max_port = 65535;

proxy_header_result need_more() {
    return {status::need_more, 0, std::nullopt, {}};
}

proxy_header_result malformed(std::string_view reason) {
    return {status::malformed, 0, std::nullopt, reason};
}

proxy_header_result done(std::size_t header_bytes, const std::optional<tcp_endpoint>& source) {
    return {status::done, header_bytes, source, {}};
}

unsigned byte_at(std::span<const char> bytes, std::size_t i) {
    return static_cast<unsigned char>(bytes[i]);
}

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

bool is_hex_digit(char c) {
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// Cuts `text` at the first space: returns what comes before it and leaves the
// rest after it. Without a space, returns all of `text` and leaves it empty.
std::string_view next_field(std::string_view& text) {
    const auto space = text.find(' ');
    const auto field = text.substr(0, space);
    text.remove_prefix(space == std::string_view::npos ? text.size() : space + 1);
    return field;
}

// 0..65535, decimal digits only, no leading zero (the spec forbids them so
// that no one reads the number as octal).
std::optional<std::uint16_t> parse_port(std::string_view text) {
    if (text.empty() || text.size() > max_port_digits || (text.size() > 1 && text.front() == '0')) {
        return std::nullopt;
    }
    unsigned value = 0;
    for (const char c : text) {
        if (!is_digit(c)) {
            return std::nullopt;
        }
        value = value * 10 + static_cast<unsigned>(c - '0');
    }
    if (value > max_port) {
        return std::nullopt;
    }
    return static_cast<std::uint16_t>(value);
}

// Exactly four numbers 0..255 separated by single dots, no leading zeros.
// Written out rather than left to inet_pton, whose leniency differs by libc.
std::optional<net::ip::address_v4> parse_ipv4(std::string_view text) {
    constexpr std::size_t max_octet_digits = 3;
    constexpr unsigned max_octet = 255;
    net::ip::address_v4::bytes_type octets{};
    bool first = true;
    for (auto& octet : octets) {
        if (!first) {
            if (text.empty() || text.front() != '.') {
                return std::nullopt;
            }
            text.remove_prefix(1);
        }
        first = false;
        std::size_t digits = 0;
        unsigned value = 0;
        while (digits < text.size() && is_digit(text[digits])) {
            value = value * 10 + static_cast<unsigned>(text[digits] - '0');
            ++digits;
            if (digits > max_octet_digits) {
                return std::nullopt;
            }
        }
        if (digits == 0 || value > max_octet || (digits > 1 && text.front() == '0')) {
            return std::nullopt;
        }
        octet = static_cast<unsigned char>(value);
        text.remove_prefix(digits);
    }
    if (!text.empty()) {
        return std::nullopt;
    }
    return net::ip::address_v4(octets);
}

// IPv6 as inet_pton reads it, but only hex digits, colons and dots (an
// embedded IPv4): no "%scope", which would make Asio look up an interface.
std::optional<net::ip::address_v6> parse_ipv6(std::string_view text) {
    if (text.empty() || text.size() > max_ipv6_text) {
        return std::nullopt;
    }
    for (const char c : text) {
        if (!is_hex_digit(c) && c != ':' && c != '.') {
            return std::nullopt;
        }
    }
    std::array<char, max_ipv6_text + 1> terminated{};  // inet_pton wants a C string
    std::memcpy(terminated.data(), text.data(), text.size());
    boost::system::error_code error;
    const auto address = net::ip::make_address_v6(terminated.data(), error);
    if (error) {
        return std::nullopt;
    }
    return address;
}

template <typename Parse>
std::optional<tcp_endpoint> parse_v1_addresses(std::string_view fields, Parse parse) {
    // Four fields and three single spaces: a doubled or trailing space makes
    // an empty field, which no parser below accepts.
    if (std::ranges::count(fields, ' ') != 3) {
        return std::nullopt;
    }
    const auto source = parse(next_field(fields));
    const auto destination = parse(next_field(fields));
    const auto source_port = parse_port(next_field(fields));
    const auto destination_port = parse_port(next_field(fields));
    if (!source || !destination || !source_port || !destination_port) {
        return std::nullopt;
    }
    return tcp_endpoint(net::ip::address(*source), *source_port);
}

// Whether the v1 line so far (from "PROXY " on, no CR or LF in it) can still
// become a valid line: it checks the protocol field, and the characters each
// protocol allows after it, so that garbage is refused before its CRLF.
bool v1_line_can_continue(std::string_view line) {
    const auto rest = line.substr(v1_prefix.size());
    const auto could_be = [rest](std::string_view word) { return word.starts_with(rest) || rest.starts_with(word); };
    if (rest.starts_with(v1_tcp4)) {
        const char c = rest.back();
        return is_digit(c) || c == '.' || c == ' ';
    }
    if (rest.starts_with(v1_tcp6)) {
        const char c = rest.back();
        return is_hex_digit(c) || c == ':' || c == '.' || c == ' ';
    }
    if (rest.size() > v1_unknown.size() && rest.starts_with(v1_unknown)) {
        return rest[v1_unknown.size()] == ' ';  // then anything
    }
    return could_be(v1_tcp4) || could_be(v1_tcp6) || could_be(v1_unknown);
}

// A complete v1 line, without its CRLF.
proxy_header_result parse_v1_line(std::string_view line) {
    const std::size_t header_bytes = line.size() + crlf.size();
    std::string_view rest = line.substr(v1_prefix.size());
    if (rest == v1_unknown || (rest.starts_with(v1_unknown) && rest[v1_unknown.size()] == ' ')) {
        return done(header_bytes, std::nullopt);
    }
    if (rest.starts_with(v1_tcp4)) {
        rest.remove_prefix(v1_tcp4.size());
        if (const auto source = parse_v1_addresses(rest, parse_ipv4)) {
            return done(header_bytes, source);
        }
        return malformed("PROXY v1 TCP4 line with bad addresses or ports");
    }
    if (rest.starts_with(v1_tcp6)) {
        rest.remove_prefix(v1_tcp6.size());
        if (const auto source = parse_v1_addresses(rest, parse_ipv6)) {
            return done(header_bytes, source);
        }
        return malformed("PROXY v1 TCP6 line with bad addresses or ports");
    }
    return malformed("PROXY v1 line with an unknown protocol");
}

// Starts with 'P': scans left to right and decides at the first byte that
// settles it, so the answer for a prefix never changes once given.
proxy_header_result parse_v1(std::string_view bytes) {
    const auto scanned = std::min(bytes.size(), max_proxy_v1_header_bytes);
    for (std::size_t i = 0; i < scanned; ++i) {
        const char c = bytes[i];
        if (i < v1_prefix.size()) {
            if (c != v1_prefix[i]) {
                return malformed("no PROXY protocol header");
            }
            continue;
        }
        if (c == '\n') {
            return malformed("PROXY v1 line with a LF not after a CR");
        }
        if (c == '\r') {
            if (i + crlf.size() > max_proxy_v1_header_bytes) {
                return malformed("PROXY v1 line longer than 107 bytes");
            }
            if (i + 1 == bytes.size()) {
                return need_more();
            }
            if (bytes[i + 1] != '\n') {
                return malformed("PROXY v1 line with a CR not before a LF");
            }
            return parse_v1_line(bytes.substr(0, i));
        }
        if (!v1_line_can_continue(bytes.substr(0, i + 1))) {
            return malformed("PROXY v1 line with an unknown protocol or a bad character");
        }
    }
    if (scanned == max_proxy_v1_header_bytes) {
        return malformed("PROXY v1 line longer than 107 bytes");
    }
    return need_more();
}

std::uint16_t big_endian_16(std::span<const char> bytes, std::size_t at) {
    return static_cast<std::uint16_t>((byte_at(bytes, at) << 8U) | byte_at(bytes, at + 1));
}

// Starts with CR: the signature byte by byte, then each fixed byte is checked
// as soon as it is in (in byte order, so a prefix gets the same reason as the
// whole header); the source waits for the whole header.
proxy_header_result parse_v2(std::span<const char> bytes) {
    const auto signature_seen = std::min(bytes.size(), v2_signature.size());
    if (std::string_view(bytes.data(), signature_seen) != v2_signature.substr(0, signature_seen)) {
        return malformed("no PROXY protocol header");
    }
    if (bytes.size() <= v2_version_command_at) {
        return need_more();
    }
    const unsigned version = byte_at(bytes, v2_version_command_at) >> 4U;
    const unsigned command = byte_at(bytes, v2_version_command_at) & 0x0fU;
    if (version != v2_version) {
        return malformed("PROXY v2 header with a version other than 2");
    }
    if (command != v2_command_local && command != v2_command_proxy) {
        return malformed("PROXY v2 header with an unknown command");
    }
    if (bytes.size() <= v2_family_transport_at) {
        return need_more();
    }
    // With LOCAL the spec says the family is ignored.
    const unsigned family = byte_at(bytes, v2_family_transport_at) >> 4U;
    const unsigned transport = byte_at(bytes, v2_family_transport_at) & 0x0fU;
    if (command == v2_command_proxy && family > v2_family_unix) {
        return malformed("PROXY v2 header with an unknown address family");
    }
    if (command == v2_command_proxy && transport > v2_transport_dgram) {
        return malformed("PROXY v2 header with an unknown transport protocol");
    }
    if (bytes.size() < proxy_v2_fixed_bytes) {
        return need_more();
    }
    const std::size_t length = big_endian_16(bytes, v2_length_at);
    const std::size_t header_bytes = proxy_v2_fixed_bytes + length;
    if (header_bytes > max_proxy_v2_header_bytes) {
        return malformed("PROXY v2 header longer than 536 bytes");
    }
    std::size_t address_bytes = 0;
    if (command == v2_command_proxy && family != v2_family_unspec && transport != v2_transport_unspec) {
        address_bytes = family == v2_family_inet    ? v2_inet_address_bytes
                        : family == v2_family_inet6 ? v2_inet6_address_bytes
                                                    : v2_unix_address_bytes;
    }
    if (length < address_bytes) {
        return malformed("PROXY v2 header too short for its address family");
    }
    if (bytes.size() < header_bytes) {
        return need_more();
    }
    if (command == v2_command_local || transport != v2_transport_stream ||
        (family != v2_family_inet && family != v2_family_inet6)) {
        return done(header_bytes, std::nullopt);
    }
    // Source address, destination address, source port: the rest is skipped.
    const auto addresses = bytes.subspan(proxy_v2_fixed_bytes, address_bytes);
    if (family == v2_family_inet) {
        net::ip::address_v4::bytes_type source{};
        std::memcpy(source.data(), addresses.data(), source.size());
        const auto port = big_endian_16(addresses, 2 * source.size());
        return done(header_bytes, tcp_endpoint(net::ip::address_v4(source), port));
    }
    net::ip::address_v6::bytes_type source{};
    std::memcpy(source.data(), addresses.data(), source.size());
    const auto port = big_endian_16(addresses, 2 * source.size());
    return done(header_bytes, tcp_endpoint(net::ip::address_v6(source), port));
}

}  // namespace

proxy_header_result parse_proxy_header(std::span<const char> bytes) noexcept {
    if (bytes.empty()) {
        return need_more();
    }
    // The two formats differ at their first byte: 'P' or CR.
    if (bytes.front() == v1_prefix.front()) {
        return parse_v1({bytes.data(), bytes.size()});
    }
    if (bytes.front() == v2_signature.front()) {
        return parse_v2(bytes);
    }
    return malformed("no PROXY protocol header");
}

}  // namespace time_server
