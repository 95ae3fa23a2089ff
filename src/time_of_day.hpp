// time_of_day.hpp - the "hh:mm:ss" of a TIME reply, and the clock it comes from.
// The clock is injected so that tests can fix the time.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string_view>

namespace time_server {

using wall_clock = std::function<std::chrono::system_clock::time_point()>;

wall_clock system_wall_clock();

// Formats a time point as 24-hour "hh:mm:ss", local time or UTC. It remembers
// the last second it formatted, so a busy session converts a time point to
// calendar fields (localtime_r: a lock and the zone rules) once per second, not
// once per request. One instance per session: no sharing, no locking.
class time_of_day {
public:
    explicit time_of_day(bool utc) : utc_(utc) {}

    // The returned view stays valid until the next call.
    std::string_view format(std::chrono::system_clock::time_point when);

private:
    bool utc_;
    std::int64_t cached_second_ = INT64_MIN;
    std::array<char, 8> text_{};
};

}  // namespace time_server
