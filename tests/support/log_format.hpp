// log_format.hpp - recognises the log's line format without std::regex (whose
// GCC 12 headers trip -Wmaybe-uninitialized at -O2, an error in the presets).
#pragma once

#include <optional>
#include <string_view>

namespace test_support {

// The message of a "YYYY-MM-DD HH:MM:SS,mmm - message" line (the message not
// empty, no CR or LF anywhere), or nothing when the line has another shape.
std::optional<std::string_view> log_message(std::string_view line);

inline bool is_log_line(std::string_view line) {
    return log_message(line).has_value();
}

}  // namespace test_support
