// protocol_test.cpp - parse_command and the reply bytes against docs/protocol.md:
// trimming only spaces and tabs, ASCII case-insensitivity, exact reply texts.
#include "protocol.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <string_view>

namespace Catch {
template <>
struct StringMaker<time_server::command> {
    static std::string convert(time_server::command value) {
        switch (value) {
        case time_server::command::time:
            return "time";
        case time_server::command::quit:
            return "quit";
        case time_server::command::help:
            return "help";
        case time_server::command::empty:
            return "empty";
        case time_server::command::unknown:
            return "unknown";
        default:  // a command added later (docs/exercises.md) needs no change here
            return "command #" + std::to_string(static_cast<int>(value));
        }
    }
};
}  // namespace Catch

namespace {

using time_server::command;
using time_server::parse_command;
using namespace std::string_view_literals;

TEST_CASE("parse_command recognises the three words in any case", "[unit][protocol]") {
    for (const auto line : {"TIME"sv, "time"sv, "Time"sv, "tImE"sv}) {
        INFO("line: " << line);
        CHECK(parse_command(line) == command::time);
    }
    for (const auto line : {"QUIT"sv, "quit"sv, "Quit"sv, "qUiT"sv}) {
        INFO("line: " << line);
        CHECK(parse_command(line) == command::quit);
    }
    for (const auto line : {"HELP"sv, "help"sv, "Help"sv, "hElP"sv}) {
        INFO("line: " << line);
        CHECK(parse_command(line) == command::help);
    }
}

TEST_CASE("parse_command trims spaces and tabs around the word", "[unit][protocol]") {
    for (const auto line : {" TIME"sv, "TIME "sv, " TIME "sv, "\tTIME"sv, "TIME\t"sv, " \t time \t "sv}) {
        INFO("line: '" << line << "'");
        CHECK(parse_command(line) == command::time);
    }
    CHECK(parse_command("  quit\t") == command::quit);
    CHECK(parse_command("\thelp ") == command::help);
}

TEST_CASE("parse_command: an empty or blank line is empty", "[unit][protocol]") {
    CHECK(parse_command("") == command::empty);
    CHECK(parse_command(" ") == command::empty);
    CHECK(parse_command("\t") == command::empty);
    CHECK(parse_command(" \t \t ") == command::empty);
}

TEST_CASE("parse_command: other blanks and a second CR make a command unknown", "[unit][protocol]") {
    // The framer drops one CR before the LF; anything else is part of the line.
    for (const auto line :
         {"TIME\r"sv, "\rTIME"sv, "TIME\v"sv, "\vTIME"sv, "TIME\f"sv, "\fTIME"sv, "TIME\n"sv, "\r"sv, "\v"sv, "\f"sv}) {
        INFO("line bytes: " << line.size());
        CHECK(parse_command(line) == command::unknown);
    }
}

TEST_CASE("parse_command: anything else is unknown", "[unit][protocol]") {
    for (const auto line : {"TIME now"sv, "TIMES"sv, "TIM"sv, "T I M E"sv, "QUIT!"sv, "HELP me"sv, "JAM"sv, "TIME\0"sv,
                            "\0TIME"sv, "TI\0ME"sv, "\xff\xfe"sv, "T\xc3\x8dME"sv, "\xc3\x28"sv}) {
        INFO("line bytes: " << line.size());
        CHECK(parse_command(line) == command::unknown);
    }
}

TEST_CASE("parse_command folds ASCII only, never high bytes", "[unit][protocol]") {
    // Latin-1 0xC9 is E-acute; a locale-aware toupper could fold 0xE9 to it.
    CHECK(parse_command("TIM\xc9") == command::unknown);
    CHECK(parse_command("tim\xe9") == command::unknown);
    // Characters next to 'a'..'z' in ASCII must not fold into 'A'..'Z'.
    CHECK(parse_command("TIM\x45") == command::time);  // plain 'E'
    CHECK(parse_command("TIM\x65") == command::time);  // plain 'e'
    CHECK(parse_command("TIM\x25") == command::unknown);
    CHECK(parse_command("TIM\x85") == command::unknown);
}

TEST_CASE("reply texts are the protocol's bytes", "[unit][protocol]") {
    CHECK(time_server::help_reply == "BANTUAN: TIME, QUIT, HELP\r\n");
    CHECK(time_server::unknown_command_reply == "ERROR: Perintah tidak dikenal.\r\n");
    CHECK(time_server::line_too_long_reply == "ERROR: Perintah terlalu panjang.\r\n");
    CHECK(time_server::server_busy_reply == "ERROR: Server sedang penuh.\r\n");
}

}  // namespace
