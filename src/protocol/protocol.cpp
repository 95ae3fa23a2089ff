// protocol.cpp - request parsing and reply formatting, pure functions.
#include "protocol.hpp"

#include <algorithm>

namespace time_server {
namespace {

constexpr std::string_view blanks = " \t";

std::string_view trim_blanks(std::string_view text) {
    const auto first = text.find_first_not_of(blanks);
    if (first == std::string_view::npos) {
        return {};
    }
    const auto last = text.find_last_not_of(blanks);
    return text.substr(first, last - first + 1);
}

// ASCII-only on purpose: the protocol's words are ASCII, and std::toupper on a
// high byte would depend on the locale.
bool equals_ignoring_ascii_case(std::string_view text, std::string_view upper_word) {
    return std::ranges::equal(text, upper_word, [](char a, char b) {
        const char upper_a = (a >= 'a' && a <= 'z') ? static_cast<char>(a - 'a' + 'A') : a;
        return upper_a == b;
    });
}

}  // namespace

command parse_command(std::string_view line) {
    const auto word = trim_blanks(line);
    if (word.empty()) {
        return command::empty;
    }
    for (const auto& [command_word, meaning] : command_words) {
        if (equals_ignoring_ascii_case(word, command_word)) {
            return meaning;
        }
    }
    return command::unknown;
}

}  // namespace time_server
