// time_of_day.hpp - the "hh:mm:ss" of a TIME reply, and the clock it comes from.
// The clock is injected so that tests can fix the time.
#pragma once

#include "protocol.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string_view>

namespace time_server {

using wall_clock = std::function<std::chrono::system_clock::time_point()>;

wall_clock system_wall_clock();

// Formats a time point as 24-hour "hh:mm:ss", local time or UTC, and as the
// whole TIME reply, "JAM hh:mm:ss\r\n". It remembers the last second it
// formatted, so a busy session converts a time point to calendar fields
// (localtime_r: a lock and the zone rules) once per second, not once per
// request, and a pipelining client's dozens of TIMEs per read each cost two
// comparisons and one append. One instance per session: no sharing, no locking.
class time_of_day {
public:
    explicit time_of_day(bool utc) : utc_(utc) {
        // The fixed parts of protocol.hpp's time reply, around the hh:mm:ss.
        std::copy(time_reply_prefix.begin(), time_reply_prefix.end(), reply_.begin());
        std::copy(reply_end.begin(), reply_end.end(), reply_.end() - static_cast<std::ptrdiff_t>(reply_end.size()));
    }

    // "hh:mm:ss". The returned view stays valid until the next call.
    std::string_view format(std::chrono::system_clock::time_point when) {
        update(when);
        return {reply_.data() + hh_mm_ss_offset, hh_mm_ss_length};
    }

    // "JAM hh:mm:ss\r\n" (protocol.hpp's time reply). Valid until the next call.
    std::string_view time_reply(std::chrono::system_clock::time_point when) {
        update(when);
        return {reply_.data(), reply_.size()};
    }

private:
    static constexpr std::size_t hh_mm_ss_offset = time_reply_prefix.size();
    static constexpr std::size_t hh_mm_ss_length = 8;

    // Inline, so that the usual case, the same second as the last request,
    // costs two comparisons and no call.
    void update(std::chrono::system_clock::time_point when) {
        if (when >= until_ || when < until_ - std::chrono::seconds(1)) {
            refresh(when);
        }
    }
    void refresh(std::chrono::system_clock::time_point when);

    // reply_ holds the second [until_ - 1 s, until_).
    std::chrono::system_clock::time_point until_ = std::chrono::system_clock::time_point::min();
    std::array<char, time_reply_prefix.size() + hh_mm_ss_length + reply_end.size()> reply_{};
    bool utc_;
};

}  // namespace time_server
