// proxy_header.hpp - the PROXY protocol header (HAProxy's proxy-protocol.txt,
// versions 1 and 2) a load balancer puts in front of a connection's data.
// A pure parser: the session feeds it every byte read so far and reads on
// while it says need_more; it does no I/O and allocates nothing.
#pragma once

#include "endpoint.hpp"

#include <algorithm>
#include <cstddef>
#include <optional>
#include <span>
#include <string_view>

namespace time_server {

// Version 1: the spec's worst case, "PROXY UNKNOWN" with two full IPv6
// addresses and ports, is 107 bytes with its CRLF; the spec says a line
// without CRLF in its first 107 bytes is invalid.
inline constexpr std::size_t max_proxy_v1_header_bytes = 107;

// Version 2: the 16 fixed bytes and at most 520 bytes of addresses and TLVs,
// so the whole header fits in 536 bytes, the smallest TCP segment every host
// must accept (576 - 40), which the spec says both formats are designed to
// fit. The spec allows up to 65535 bytes of TLVs; a longer header (a sender
// forwarding big TLVs) is refused as malformed rather than buffered.
inline constexpr std::size_t proxy_v2_fixed_bytes = 16;
inline constexpr std::size_t max_proxy_v2_header_bytes = 536;

// The session never needs to hold more than this before parse_proxy_header()
// answers done or malformed.
inline constexpr std::size_t max_proxy_header_bytes = std::max(max_proxy_v1_header_bytes, max_proxy_v2_header_bytes);

// Result of looking at the bytes at the start of a connection.
struct proxy_header_result {
    enum class status { need_more, done, malformed } state;
    // With done: how many bytes the header took (the rest is protocol data).
    std::size_t header_bytes = 0;
    // With done: the client's address; nullopt for PROXY UNKNOWN, v2 LOCAL,
    // and v2 addresses other than TCP over IPv4/IPv6 (keep the connection's
    // own peer).
    std::optional<tcp_endpoint> source;
    // With malformed: a short English reason for the log, never client bytes.
    std::string_view reason;
};

// Looks at the first bytes of a connection, all of them read so far:
//
// - need_more: they are a strict prefix of a valid header; only ever
//   answered while bytes.size() < max_proxy_header_bytes.
// - malformed: no bytes that follow can make them a valid header. Decided as
//   early as the bytes allow: "TIME\r\n" is refused at its first byte, a v1
//   line at the first byte its protocol field cannot have, a v2 header once
//   its 16 fixed bytes are in.
// - done: a complete valid header; bytes after it are left alone.
//
// Once an answer is done or malformed, every longer input that starts with
// the same bytes gets the same answer, so the session may parse after every
// read.
//
// Version 1: "PROXY TCP4 <src> <dst> <sport> <dport>\r\n", TCP6 likewise, or
// "PROXY UNKNOWN" then anything but CR or LF before the CRLF. Single spaces;
// TCP4 addresses are dotted quads without leading zeros, TCP6 addresses are
// IPv6 (hex digits, colons, and dots for an embedded IPv4; no scope id); ports
// are 0..65535 in decimal without sign or leading zeros; CR and LF only as
// the final CRLF.
//
// Version 2: the signature, version 2, command LOCAL (source nullopt, the
// family byte ignored) or PROXY. For PROXY the family must be UNSPEC, INET,
// INET6 or UNIX and the transport UNSPEC, STREAM or DGRAM; unless either is
// UNSPEC the length must hold the family's addresses (12, 36 or 216 bytes).
// Only INET/INET6 with STREAM gives a source; UNSPEC, DGRAM and UNIX keep the
// connection's own peer, as the spec suggests for what the receiver does not
// handle. TLVs after the addresses are skipped unread.
proxy_header_result parse_proxy_header(std::span<const char> bytes) noexcept;

}  // namespace time_server
