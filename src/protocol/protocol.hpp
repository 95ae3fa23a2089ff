// protocol.hpp - the TIME protocol without any I/O: what a request line means
// and the exact bytes of every reply (docs/protocol.md).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

namespace time_server {

// The requests a metric counts come first, in command_tally's order.
enum class command { time, quit, help, unknown, empty };

// The words a request may be, matched after trimming and ignoring case.
// A new command is a new enum value, a row here, and its answer in
// conversation.cpp's answer().
inline constexpr auto command_words = std::to_array<std::pair<std::string_view, command>>({
    {"TIME", command::time},
    {"QUIT", command::quit},
    {"HELP", command::help},
});

// `line` is a request without its LF and the CR before it (line_framer strips
// both). Spaces and tabs around it are ignored and case does not matter; any
// other byte, a stray CR or a form feed too, makes it unknown.
command parse_command(std::string_view line);

// How many requests of each kind one dispatch answered, for the metrics
// (core/server_metrics.hpp): TIME, QUIT, HELP, unknown, in that order. An empty
// line is not a request and is not counted.
struct command_tally {
    std::array<std::uint32_t, 4> counts{};

    void count(command what) {
        if (what != command::empty) {
            // NOLINTNEXTLINE(cppcoreguidelines-pro-bounds-constant-array-index): the enum's first four
            ++counts[static_cast<std::size_t>(what)];
        }
    }
};

inline constexpr std::string_view help_reply = "BANTUAN: TIME, QUIT, HELP\r\n";
inline constexpr std::string_view unknown_command_reply = "ERROR: Perintah tidak dikenal.\r\n";
inline constexpr std::string_view line_too_long_reply = "ERROR: Perintah terlalu panjang.\r\n";
inline constexpr std::string_view server_busy_reply = "ERROR: Server sedang penuh.\r\n";

// The TIME reply is time_reply_prefix, "hh:mm:ss", reply_end.
inline constexpr std::string_view time_reply_prefix = "JAM ";
inline constexpr std::string_view reply_end = "\r\n";

}  // namespace time_server
