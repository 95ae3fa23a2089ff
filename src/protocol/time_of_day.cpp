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

void time_of_day::refresh(std::chrono::system_clock::time_point when) {
    using std::chrono::seconds;
    const auto second = std::chrono::floor<seconds>(when);
    const auto as_time_t = static_cast<std::time_t>(second.time_since_epoch().count());
    std::tm fields{};
    if (utc_) {
        gmtime_r(&as_time_t, &fields);
    } else {
        localtime_r(&as_time_t, &fields);
    }
    char* text = reply_.data() + hh_mm_ss_offset;
    put_two_digits(text, fields.tm_hour);
    text[2] = ':';
    put_two_digits(text + 3, fields.tm_min);
    text[5] = ':';
    put_two_digits(text + 6, fields.tm_sec);
    until_ = second + seconds(1);
}

}  // namespace time_server
