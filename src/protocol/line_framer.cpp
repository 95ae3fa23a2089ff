// line_framer.cpp - bounded line framing over one reusable buffer.
#include "line_framer.hpp"

#include <algorithm>
#include <cstring>

namespace time_server {
namespace {

// Room for about ten pipelined `TIME\r\n` (6 bytes each) in one read; a read
// that fills it makes prepare() grow it fourfold, up to the line limit. Small,
// so that ten thousand idle connections cost little.
constexpr std::size_t initial_capacity = 64;

std::string_view without_trailing_cr(std::string_view line) {
    if (!line.empty() && line.back() == '\r') {
        line.remove_suffix(1);
    }
    return line;
}

}  // namespace

line_framer::line_framer(std::size_t max_line_bytes)
    : limit_(static_cast<offset>(max_line_bytes + 1)), buffer_(std::min<std::size_t>(initial_capacity, limit_)) {}

std::span<char> line_framer::prepare() {
    if (begin_ == end_) {
        begin_ = scanned_ = end_ = 0;
        if (buffer_.size() > kept_capacity) {
            // Drained after a burst that grew it: give the memory back
            // rather than pin up to --max-line bytes for the session's life.
            std::vector<char>(std::min<std::size_t>(initial_capacity, limit_)).swap(buffer_);
        }
    } else if (begin_ > 0) {
        // Move the partial line to the front so the free space is contiguous.
        std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
        scanned_ -= begin_;
        end_ -= begin_;
        begin_ = 0;
    }
    if ((end_ == buffer_.size() || last_read_filled_) && buffer_.size() < limit_) {
        buffer_.resize(std::min<std::size_t>(limit_, buffer_.size() * 4));
    }
    return {buffer_.data() + end_, buffer_.size() - end_};
}

void line_framer::commit(std::size_t bytes_read) {
    last_read_filled_ = end_ + bytes_read == buffer_.size();
    end_ += static_cast<offset>(bytes_read);
}

line_framer::result line_framer::next() {
    const char* data = buffer_.data();
    const auto* lf = static_cast<const char*>(std::memchr(data + scanned_, '\n', end_ - scanned_));
    if (lf == nullptr) {
        scanned_ = end_;
        // Every byte before the LF counts, so max_line + 1 bytes without one
        // can never become a valid line: say so now rather than wait for it.
        if (end_ - begin_ >= limit_) {
            return {status::too_long, {}};
        }
        return {status::need_more, {}};
    }
    const auto lf_pos = static_cast<std::size_t>(lf - data);
    if (lf_pos - begin_ >= limit_) {
        return {status::too_long, {}};
    }
    const std::string_view line(data + begin_, lf_pos - begin_);
    begin_ = scanned_ = static_cast<offset>(lf_pos + 1);
    return {status::line, without_trailing_cr(line)};
}

std::optional<std::string_view> line_framer::take_unterminated() {
    if (begin_ == end_) {
        return std::nullopt;
    }
    const std::string_view line(buffer_.data() + begin_, end_ - begin_);
    begin_ = scanned_ = end_;
    return without_trailing_cr(line);
}

}  // namespace time_server
