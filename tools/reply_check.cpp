// reply_check.cpp - the "JAM hh:mm:ss\r\n" pattern, checked per line and per byte.
#include "reply_check.hpp"

namespace time_tools {

namespace {

// 'd' stands for a decimal digit; every other byte must match as is.
constexpr std::string_view reply_pattern = "JAM dd:dd:dd\r\n";

// The largest value of the two-digit field that ends at `position`.
unsigned field_limit(std::size_t position) {
    switch (position) {
    case 5:
        return 23;  // hours
    case 8:
        return 59;  // minutes
    default:
        return 60;  // seconds, a leap second included
    }
}

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

unsigned two_digits(const char* p) {
    return static_cast<unsigned>(p[0] - '0') * 10 + static_cast<unsigned>(p[1] - '0');
}

// A whole reply at once: the common case in a pipeline, where most replies
// arrive aligned in one read. Same rules as step(), fewer branches per byte.
bool is_whole_reply(const char* p) {
    return p[0] == 'J' && p[1] == 'A' && p[2] == 'M' && p[3] == ' ' && p[6] == ':' && p[9] == ':' && p[12] == '\r' &&
           p[13] == '\n' && is_digit(p[4]) && is_digit(p[5]) && is_digit(p[7]) && is_digit(p[8]) && is_digit(p[10]) &&
           is_digit(p[11]) && two_digits(p + 4) <= 23 && two_digits(p + 7) <= 59 && two_digits(p + 10) <= 60;
}

}  // namespace

bool reply_validator::step(unsigned char byte) {
    const char wanted = reply_pattern[position_];
    if (wanted == 'd') {
        if (byte < '0' || byte > '9') {
            return false;
        }
        const unsigned digit = byte - '0';
        const bool first_digit = position_ == 4 || position_ == 7 || position_ == 10;
        if (first_digit) {
            tens_ = digit * 10;
        } else if (tens_ + digit > field_limit(position_)) {
            return false;
        }
    } else if (byte != static_cast<unsigned char>(wanted)) {
        return false;
    }
    position_ = (position_ + 1) % reply_pattern.size();
    return true;
}

int reply_validator::feed(std::string_view bytes) {
    int completed = 0;
    std::size_t i = 0;
    // Finish a reply that the previous read split, one byte at a time...
    for (; i < bytes.size() && position_ != 0; ++i) {
        if (!step(static_cast<unsigned char>(bytes[i]))) {
            return -1;
        }
        completed += position_ == 0 ? 1 : 0;
    }
    // ...then whole replies...
    for (; i + time_reply_bytes <= bytes.size(); i += time_reply_bytes) {
        if (!is_whole_reply(bytes.data() + i)) {
            return -1;
        }
        ++completed;
    }
    // ...then the start of one that the next read completes.
    for (; i < bytes.size(); ++i) {
        if (!step(static_cast<unsigned char>(bytes[i]))) {
            return -1;
        }
        completed += position_ == 0 ? 1 : 0;
    }
    return completed;
}

bool is_time_reply_line(std::string_view line) {
    if (line.size() + 2 != time_reply_bytes) {
        return false;
    }
    reply_validator validator;
    return validator.feed(line) == 0 && validator.feed("\r\n") == 1;
}

}  // namespace time_tools
