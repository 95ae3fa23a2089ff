// logging.hpp - the server's log: spdlog on stdout in the original's format,
// "YYYY-MM-DD HH:MM:SS,mmm - message".
#pragma once

#include <spdlog/logger.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace time_server {

// The same format as an spdlog pattern, for loggers built elsewhere (tests).
inline constexpr const char* log_pattern = "%Y-%m-%d %H:%M:%S,%e - %v";

// Appends "YYYY-MM-DD HH:MM:SS,mmm - " for `when` in local time.
void append_log_prefix(std::string& out, std::chrono::system_clock::time_point when);

// "debug", "info", "warn", "error" or "off"; nothing else.
std::optional<spdlog::level::level_enum> parse_log_level(std::string_view name);

// A logger writing to stdout in that format. When stdout is a file or a pipe,
// lines are buffered and written at least every 200 ms by a background
// thread, so a `tail -f` sees them promptly but a busy server does not make
// one write(2) per line; on a terminal every line is written at once.
std::shared_ptr<spdlog::logger> make_stdout_logger(spdlog::level::level_enum level);

}  // namespace time_server
