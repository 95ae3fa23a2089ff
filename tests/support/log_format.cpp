// log_format.cpp - a character-by-character check of the log line shape,
// docs/protocol.md's "YYYY-MM-DD HH:MM:SS,mmm - message".
#include "log_format.hpp"

namespace test_support {

std::optional<std::string_view> log_message(std::string_view line) {
    // 'd' is any digit; every other character must match exactly.
    constexpr std::string_view shape = "dddd-dd-dd dd:dd:dd,ddd - ";
    if (line.size() <= shape.size()) {
        return std::nullopt;
    }
    for (std::size_t i = 0; i < shape.size(); ++i) {
        const bool ok = shape[i] == 'd' ? (line[i] >= '0' && line[i] <= '9') : line[i] == shape[i];
        if (!ok) {
            return std::nullopt;
        }
    }
    const auto message = line.substr(shape.size());
    if (message.find_first_of("\r\n") != std::string_view::npos) {
        return std::nullopt;
    }
    return message;
}

}  // namespace test_support
