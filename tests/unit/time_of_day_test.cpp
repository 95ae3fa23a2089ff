// time_of_day_test.cpp - the hh:mm:ss of a TIME reply: UTC and local (TZ
// honoured), zero padding, and the per-second cache never serving a stale second.
#include "time_of_day.hpp"

#include "scoped_tz.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <optional>
#include <string>

namespace {

using namespace std::chrono_literals;
using std::chrono::sys_days;
using std::chrono::system_clock;

system_clock::time_point utc(int y, unsigned mo, unsigned d, int h, int mi, int s) {
    const auto day = sys_days{std::chrono::year{y} / std::chrono::month{mo} / std::chrono::day{d}};
    return day + std::chrono::hours{h} + std::chrono::minutes{mi} + std::chrono::seconds{s};
}

using test_support::scoped_tz;

TEST_CASE("time_of_day formats UTC as 24-hour hh:mm:ss", "[unit][time]") {
    time_server::time_of_day face(true);
    CHECK(face.format(utc(2025, 6, 16, 21, 35, 10)) == "21:35:10");
    CHECK(face.format(utc(2025, 6, 16, 23, 59, 59)) == "23:59:59");
    CHECK(face.format(utc(2025, 6, 17, 0, 0, 0)) == "00:00:00");
    CHECK(face.format(utc(1970, 1, 1, 0, 0, 0)) == "00:00:00");
    CHECK(face.format(utc(2038, 1, 19, 3, 14, 8)) == "03:14:08");  // past the 32-bit time_t end
}

TEST_CASE("time_of_day zero-pads every field", "[unit][time]") {
    time_server::time_of_day face(true);
    CHECK(face.format(utc(2025, 1, 2, 3, 4, 5)) == "03:04:05");
    CHECK(face.format(utc(2025, 1, 2, 9, 0, 9)) == "09:00:09");
    CHECK(face.format(utc(2025, 1, 2, 10, 10, 10)) == "10:10:10");
    CHECK(face.format(utc(2025, 1, 2, 12, 0, 0)) == "12:00:00");  // noon stays 12, not 00
    CHECK(face.format(utc(2025, 1, 2, 13, 0, 0)) == "13:00:00");  // 24-hour, not 01
}

TEST_CASE("time_of_day truncates, never rounds, fractions of a second", "[unit][time]") {
    time_server::time_of_day face(true);
    const auto second = utc(2025, 6, 16, 21, 35, 10);
    CHECK(face.format(second + 999ms) == "21:35:10");
    CHECK(face.format(second + 999'999us) == "21:35:10");
    CHECK(face.format(second + 1s) == "21:35:11");
}

TEST_CASE("time_of_day's cache changes when the second changes", "[unit][time]") {
    time_server::time_of_day face(true);
    const auto second = utc(2025, 6, 16, 21, 35, 10);
    CHECK(face.format(second) == "21:35:10");
    CHECK(face.format(second + 500ms) == "21:35:10");  // same second: cached
    CHECK(face.format(second + 1s) == "21:35:11");     // next second: recomputed
    CHECK(face.format(second) == "21:35:10");          // going back works too
    CHECK(face.format(second + 24h) == "21:35:10");    // same time of day, other date
    CHECK(face.format(second + 24h + 1min) == "21:36:10");
    CHECK(face.format(second + 3h + 25min) == "01:00:10");
}

TEST_CASE("time_of_day gives the whole TIME reply from the same cache", "[unit][time]") {
    time_server::time_of_day face(true);
    const auto t = utc(2025, 6, 16, 21, 35, 10);
    CHECK(face.time_reply(t) == "JAM 21:35:10\r\n");
    CHECK(face.time_reply(t + std::chrono::milliseconds(999)) == "JAM 21:35:10\r\n");
    CHECK(face.time_reply(t + std::chrono::seconds(1)) == "JAM 21:35:11\r\n");
    CHECK(face.format(t + std::chrono::seconds(1)) == "21:35:11");
    // A clock that steps back (NTP) is not served a later second from the cache.
    CHECK(face.time_reply(t - std::chrono::milliseconds(1)) == "JAM 21:35:09\r\n");
}

TEST_CASE("time_of_day answers in the local zone, honouring TZ", "[unit][time]") {
    const auto when = utc(2025, 6, 16, 21, 35, 10);
    SECTION("a POSIX TZ string needs no zone data") {
        const scoped_tz zone("XYZ-7");  // seven hours east of UTC
        time_server::time_of_day face(false);
        CHECK(face.format(when) == "04:35:10");
    }
    SECTION("a POSIX TZ string with half an hour") {
        const scoped_tz zone("ABC+3:30");  // three and a half hours west of UTC
        time_server::time_of_day face(false);
        CHECK(face.format(when) == "18:05:10");
    }
    SECTION("Asia/Jakarta from the zone database") {
        if (!std::filesystem::exists("/usr/share/zoneinfo/Asia/Jakarta")) {
            WARN("no /usr/share/zoneinfo/Asia/Jakarta: zone database part skipped");
            return;
        }
        const scoped_tz zone("Asia/Jakarta");  // WIB, UTC+7, no daylight saving
        time_server::time_of_day face(false);
        CHECK(face.format(when) == "04:35:10");
        CHECK(face.format(utc(2025, 12, 31, 17, 0, 0)) == "00:00:00");
    }
    SECTION("utc ignores TZ") {
        const scoped_tz zone("XYZ-7");
        time_server::time_of_day face(true);
        CHECK(face.format(when) == "21:35:10");
    }
}

TEST_CASE("system_wall_clock reads the real clock", "[unit][time]") {
    const auto clock = time_server::system_wall_clock();
    const auto before = system_clock::now();
    const auto read = clock();
    const auto after = system_clock::now();
    CHECK(before <= read);
    CHECK(read <= after);
}

}  // namespace
