// fuzz_proxy_header.cpp - fuzz target for parse_proxy_header: the input is the
// first bytes of a connection, as the session would hold them. Any violated
// invariant traps, so libFuzzer (or replay_main.cpp) reports it as a crash.
//
// Checked for every input:
//   - need_more only while fewer than max_proxy_header_bytes bytes are in;
//     malformed always with a printable reason; neither with a source;
//   - done: 0 < header_bytes <= size and <= the version's maximum; a v1
//     header is "PROXY ..." ending in its only CRLF, a v2 header is the
//     signature and exactly 16 + its length field bytes;
//   - the source against a small model written here: v1 TCP4/TCP6 fields read
//     back with Asio's own address parser, v2 address bytes read in place;
//   - the answer only depends on bytes it has seen: every prefix gets
//     need_more or the very same answer, and so does the input with
//     protocol data after it.
// Every parse gets a heap copy of exactly its bytes, so ASan reports a read
// past the span.
#include "proxy_header.hpp"

#include <algorithm>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace net = boost::asio;
using time_server::max_proxy_header_bytes;
using time_server::proxy_header_result;
using status = proxy_header_result::status;

// The spec's constants, written out again on purpose.
constexpr std::size_t spec_v1_max = 107;
constexpr std::string_view spec_v2_signature{"\r\n\r\n\0\r\nQUIT\n", 12};
constexpr std::size_t spec_v2_fixed = 16;

[[noreturn]] void fail(const char* what) {
    std::fprintf(stderr, "fuzz_proxy_header: invariant violated: %s\n", what);
    std::fflush(stderr);
    __builtin_trap();
}

void check(bool ok, const char* what) {
    if (!ok) {
        fail(what);
    }
}

proxy_header_result parse_exactly(std::string_view bytes) {
    // An exact-size heap block (none for zero bytes): one byte too far is an ASan report.
    const auto copy = std::make_unique<char[]>(bytes.size());
    if (!bytes.empty()) {
        std::memcpy(copy.get(), bytes.data(), bytes.size());
    }
    return time_server::parse_proxy_header(std::span<const char>(bytes.empty() ? nullptr : copy.get(), bytes.size()));
}

bool same(const proxy_header_result& a, const proxy_header_result& b) {
    return a.state == b.state && a.header_bytes == b.header_bytes && a.source == b.source && a.reason == b.reason;
}

std::vector<std::string_view> split_spaces(std::string_view line) {
    std::vector<std::string_view> fields;
    for (;;) {
        const auto space = line.find(' ');
        fields.push_back(line.substr(0, space));
        if (space == std::string_view::npos) {
            return fields;
        }
        line.remove_prefix(space + 1);
    }
}

std::uint16_t model_port(std::string_view text) {
    unsigned value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    check(error == std::errc() && end == text.data() + text.size() && value <= 65535, "v1 port accepted badly");
    check(text.size() == 1 || text.front() != '0', "v1 port with a leading zero accepted");
    return static_cast<std::uint16_t>(value);
}

void check_v1(std::string_view header, const proxy_header_result& result) {
    check(result.header_bytes <= spec_v1_max, "v1 header over 107 bytes");
    check(header.starts_with("PROXY "), "v1 header without PROXY prefix");
    check(header.ends_with("\r\n"), "v1 header not ending in CRLF");
    const auto line = header.substr(0, header.size() - 2);
    check(line.find_first_of("\r\n") == std::string_view::npos, "v1 header with CR or LF inside");
    const auto fields = split_spaces(line);
    check(fields.size() >= 2, "v1 header without a protocol");
    if (fields[1] == "UNKNOWN") {
        check(!result.source, "v1 UNKNOWN with a source");
        return;
    }
    check(fields[1] == "TCP4" || fields[1] == "TCP6", "v1 header with an unknown protocol accepted");
    check(fields.size() == 6, "v1 TCP header without exactly four fields");
    check(result.source.has_value(), "v1 TCP header without a source");
    boost::system::error_code error;
    const auto source = net::ip::make_address(std::string(fields[2]), error);
    check(!error, "v1 source Asio cannot parse");
    const auto destination = net::ip::make_address(std::string(fields[3]), error);
    check(!error, "v1 destination Asio cannot parse");
    const bool v4 = fields[1] == "TCP4";
    check(source.is_v4() == v4 && destination.is_v4() == v4, "v1 address of the other family accepted");
    if (v4) {
        // No leading zeros: the dotted quad is the canonical text.
        check(source.to_string() == fields[2] && destination.to_string() == fields[3], "v1 IPv4 not canonical");
    }
    check(result.source->address() == source, "v1 source address differs from the model");
    check(result.source->port() == model_port(fields[4]), "v1 source port differs from the model");
    model_port(fields[5]);
}

std::size_t be16(std::string_view bytes, std::size_t at) {
    return static_cast<std::size_t>(static_cast<unsigned char>(bytes[at])) << 8U |
           static_cast<unsigned char>(bytes[at + 1]);
}

void check_v2(std::string_view header, const proxy_header_result& result) {
    check(header.size() >= spec_v2_fixed && header.starts_with(spec_v2_signature), "v2 header without signature");
    check(result.header_bytes == spec_v2_fixed + be16(header, 14), "v2 header_bytes is not 16 + length");
    const auto version_command = static_cast<unsigned char>(header[12]);
    const auto family_transport = static_cast<unsigned char>(header[13]);
    check(version_command == 0x20 || version_command == 0x21, "v2 version or command accepted badly");
    const bool tcp4 = version_command == 0x21 && family_transport == 0x11;
    const bool tcp6 = version_command == 0x21 && family_transport == 0x21;
    check(result.source.has_value() == (tcp4 || tcp6), "v2 source present for other than PROXY TCP4/TCP6");
    if (tcp4) {
        check(header.size() >= spec_v2_fixed + 12, "v2 TCP4 accepted too short");
        net::ip::address_v4::bytes_type address{};
        std::memcpy(address.data(), header.data() + spec_v2_fixed, address.size());
        check(result.source->address() == net::ip::address(net::ip::address_v4(address)), "v2 TCP4 address differs");
        check(result.source->port() == be16(header, spec_v2_fixed + 8), "v2 TCP4 port differs");
    }
    if (tcp6) {
        check(header.size() >= spec_v2_fixed + 36, "v2 TCP6 accepted too short");
        net::ip::address_v6::bytes_type address{};
        std::memcpy(address.data(), header.data() + spec_v2_fixed, address.size());
        check(result.source->address() == net::ip::address(net::ip::address_v6(address)), "v2 TCP6 address differs");
        check(result.source->port() == be16(header, spec_v2_fixed + 32), "v2 TCP6 port differs");
    }
}

void check_result(std::string_view bytes, const proxy_header_result& result) {
    switch (result.state) {
    case status::need_more:
        check(bytes.size() < max_proxy_header_bytes, "need_more with max_proxy_header_bytes or more");
        check(result.header_bytes == 0 && !result.source && result.reason.empty(), "need_more with data");
        return;
    case status::malformed:
        check(!result.reason.empty(), "malformed without a reason");
        check(std::ranges::all_of(result.reason, [](char c) { return c >= 0x20 && c < 0x7f; }),
              "malformed reason not printable ASCII");
        check(result.header_bytes == 0 && !result.source, "malformed with a header or source");
        return;
    case status::done:
        check(result.reason.empty(), "done with a reason");
        check(result.header_bytes > 0 && result.header_bytes <= bytes.size(), "done header_bytes out of range");
        check(result.header_bytes <= max_proxy_header_bytes, "done header over max_proxy_header_bytes");
        const auto header = bytes.substr(0, result.header_bytes);
        if (header.front() == 'P') {
            check_v1(header, result);
        } else {
            check(header.front() == '\r', "done for a header starting with neither P nor CR");
            check_v2(header, result);
        }
        return;
    }
    fail("unknown status");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view bytes(reinterpret_cast<const char*>(data), size);
    const auto result = parse_exactly(bytes);
    check_result(bytes, result);

    // Past max_proxy_header_bytes + 1 every prefix is decided already.
    const auto prefixes = std::min(size, max_proxy_header_bytes + 1);
    for (std::size_t k = 0; k < prefixes; ++k) {
        const auto prefix = parse_exactly(bytes.substr(0, k));
        check_result(bytes.substr(0, k), prefix);
        check(prefix.state == status::need_more || same(prefix, result),
              "a prefix was decided differently from the whole input");
    }
    if (result.state != status::need_more) {
        const std::string longer = std::string(bytes) + "TIME\r\n";
        check(same(parse_exactly(longer), result), "bytes after a decided input changed the answer");
    }
    return 0;
}
