// line_framer.hpp - cuts a byte stream into request lines without ever holding
// more than one maximal line: max_line bytes, plus the LF that ends it.
// It does no I/O: the session reads into prepare() and calls commit().
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace time_server {

class line_framer {
public:
    enum class status { line, need_more, too_long };

    struct result {
        status state;
        std::string_view line;  // with state == line: the request without LF and the CR before it
    };

    explicit line_framer(std::size_t max_line_bytes);

    // Free space to read into; never empty while next() answers need_more.
    // The buffer starts small and grows (up to max_line + 1 bytes) only when a
    // read filled it, so an idle connection holds little memory; once every
    // byte is dispatched, a buffer grown past kept_capacity shrinks back.
    std::span<char> prepare();
    void commit(std::size_t bytes_read);

    // The next complete line, if one is buffered. A returned line stays valid
    // until the next prepare().
    result next();

    // At end of stream: the unterminated last line, if any bytes are left.
    std::optional<std::string_view> take_unterminated();

    // The bytes of the line not yet complete, left in place (for a log sample).
    std::string_view peek_unterminated() const { return {buffer_.data() + begin_, end_ - begin_}; }

    std::size_t buffered_bytes() const { return end_ - begin_; }
    std::size_t capacity() const { return buffer_.size(); }
    std::size_t max_line_bytes() const { return limit_ - 1; }

    // What a framer keeps once drained: enough for the default --max-line
    // (1024) and a few pipelined requests, so the usual session never shrinks
    // and regrows.
    static constexpr std::size_t kept_capacity = 4096;

private:
    // 32-bit offsets (a line is at most 1 MiB, see --max-line): every idle
    // session keeps a framer, and this keeps it at 48 bytes.
    using offset = std::uint32_t;
    offset limit_;        // max_line + 1: a full line and its LF
    offset begin_ = 0;    // first byte not yet returned as a line
    offset scanned_ = 0;  // bytes before this hold no LF (no rescans)
    offset end_ = 0;      // one past the last byte read
    std::vector<char> buffer_;
    bool last_read_filled_ = false;
};

}  // namespace time_server
