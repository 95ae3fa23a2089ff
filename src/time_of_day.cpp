// time_of_day.cpp - cached hh:mm:ss formatting.
#include "time_of_day.hpp"

#include <ctime>

namespace time_server {
namespace {

void put_two_digits(char* out, int value) {
    out[0] = static_cast<char>('0' + value / 10);
    out[1] = static_cast<char>('0' + value % 10);
}

}  // namespace

wall_clock system_wall_clock() {
    return [] { return std::chrono::system_clock::now(); };
}

std::string_view time_of_day::format(std::chrono::system_clock::time_point when) {
    const auto second = std::chrono::floor<std::chrono::seconds>(when).time_since_epoch().count();
    if (second != cached_second_) {
        const auto as_time_t = static_cast<std::time_t>(second);
        std::tm fields{};
        if (utc_) {
            gmtime_r(&as_time_t, &fields);
        } else {
            localtime_r(&as_time_t, &fields);
        }
        char* text = text_.data();
        put_two_digits(text, fields.tm_hour);
        text[2] = ':';
        put_two_digits(text + 3, fields.tm_min);
        text[5] = ':';
        put_two_digits(text + 6, fields.tm_sec);
        cached_second_ = second;
    }
    return {text_.data(), text_.size()};
}

}  // namespace time_server
