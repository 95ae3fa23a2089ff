// log_text.hpp - how client bytes and peers are written into the log.
// A client can never put raw control bytes, ANSI escapes or a fake log line
// into the log: printable ASCII passes, a backslash doubles, anything else
// becomes \xNN, and only the first 64 bytes are shown.
#pragma once

#include "endpoint.hpp"
#include <fmt/format.h>

#include <cstddef>
#include <string>
#include <string_view>

namespace time_server {

inline constexpr std::size_t max_logged_request_bytes = 64;

// Wraps client bytes so that formatting them with fmt escapes them in place,
// without building a temporary string.
struct client_text {
    std::string_view bytes;
};

// "('127.0.0.1', 54321)" like the Python original's address tuple; an
// IPv4-mapped IPv6 peer (a v4 client of a "::" listener) is written as IPv4.
std::string describe_peer(const tcp_endpoint& peer);

}  // namespace time_server

template <>
struct fmt::formatter<time_server::client_text> : fmt::formatter<std::string_view> {
    template <typename FormatContext>
    auto format(const time_server::client_text& text, FormatContext& ctx) const -> decltype(ctx.out()) {
        constexpr std::string_view hex = "0123456789abcdef";
        auto out = ctx.out();
        const auto shown = text.bytes.substr(0, time_server::max_logged_request_bytes);
        for (const char c : shown) {
            const auto byte = static_cast<unsigned char>(c);
            if (c == '\\') {
                *out++ = '\\';
                *out++ = '\\';
            } else if (byte >= 0x20 && byte < 0x7f) {
                *out++ = c;
            } else {
                *out++ = '\\';
                *out++ = 'x';
                *out++ = hex[byte >> 4];
                *out++ = hex[byte & 0x0f];
            }
        }
        if (shown.size() < text.bytes.size()) {
            out = fmt::format_to(out, "...");
        }
        return out;
    }
};
