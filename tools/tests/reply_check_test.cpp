// reply_check_test.cpp - the TIME reply pattern, per line and as a stream.
#include "reply_check.hpp"

#include <catch2/catch.hpp>

#include <string>

using time_tools::is_time_reply_line;
using time_tools::reply_validator;

TEST_CASE("a TIME reply line is JAM hh:mm:ss within the clock's ranges", "[reply_check]") {
    CHECK(is_time_reply_line("JAM 00:00:00"));
    CHECK(is_time_reply_line("JAM 23:59:60"));  // a leap second
    CHECK_FALSE(is_time_reply_line("JAM 24:00:00"));
    CHECK_FALSE(is_time_reply_line("JAM 12:60:00"));
    CHECK_FALSE(is_time_reply_line("JAM 12:00:61"));
    CHECK_FALSE(is_time_reply_line("JAM 1:00:00"));
    CHECK_FALSE(is_time_reply_line("jam 12:00:00"));
    CHECK_FALSE(is_time_reply_line("JAM 12:00:00 "));
    CHECK_FALSE(is_time_reply_line("ERROR: Perintah tidak dikenal."));
    CHECK_FALSE(is_time_reply_line(""));
}

TEST_CASE("the validator counts replies however the stream is split", "[reply_check]") {
    const std::string three = "JAM 01:02:03\r\nJAM 04:05:06\r\nJAM 07:08:09\r\n";
    for (std::size_t cut = 0; cut <= three.size(); ++cut) {
        reply_validator validator;
        const int first = validator.feed(std::string_view(three).substr(0, cut));
        const int second = validator.feed(std::string_view(three).substr(cut));
        REQUIRE(first >= 0);
        REQUIRE(second >= 0);
        CHECK(first + second == 3);
        CHECK_FALSE(validator.mid_reply());
    }
}

TEST_CASE("the validator reports a half reply and rejects any wrong byte", "[reply_check]") {
    reply_validator validator;
    CHECK(validator.feed("JAM 12:0") == 0);
    CHECK(validator.mid_reply());
    CHECK(validator.feed("0:00\r\n") == 1);
    CHECK_FALSE(validator.mid_reply());

    CHECK(reply_validator().feed("JAM 12:00:00\n") == -1);      // LF without CR
    CHECK(reply_validator().feed("JAM 12:00:00\r\r\n") == -1);  // a CR too many
    CHECK(reply_validator().feed("garbage\r\n") == -1);
    CHECK(reply_validator().feed("JAM 25:00:00\r\n") == -1);  // whole-reply path
    reply_validator split;
    CHECK(split.feed("JAM 2") == 0);
    CHECK(split.feed("5:00:00\r\n") == -1);  // byte-by-byte path
}
