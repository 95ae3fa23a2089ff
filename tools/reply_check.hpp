// reply_check.hpp - what a correct TIME reply looks like, without any I/O.
// time_client checks one line at a time; time_bench checks a byte stream as it
// arrives, however the kernel splits it, without buffering it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace time_tools {

// Every TIME reply is exactly "JAM hh:mm:ss\r\n": 14 bytes.
inline constexpr std::string_view time_request = "TIME\r\n";
inline constexpr std::size_t time_reply_bytes = 14;

// "JAM hh:mm:ss" without its CRLF: 24-hour, zero-padded, hh <= 23, mm <= 59
// and ss <= 60 (a leap second is a valid wall-clock reading).
bool is_time_reply_line(std::string_view line);

// Checks a stream of TIME replies byte by byte, the way loadgen.c does, so a
// reply split across two reads is still checked exactly once.
class reply_validator {
public:
    // The number of replies that the bytes completed, or -1 at the first byte
    // that cannot belong to a TIME reply (the validator is then spent).
    int feed(std::string_view bytes);

    // Whether the bytes fed so far end inside a reply.
    bool mid_reply() const { return position_ != 0; }

private:
    bool step(unsigned char byte);

    std::size_t position_ = 0;  // index into "JAM dd:dd:dd\r\n"
    unsigned tens_ = 0;         // the first digit of the field being read, times ten
};

}  // namespace time_tools
