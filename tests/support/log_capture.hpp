// log_capture.hpp - a spdlog sink that keeps every formatted line in memory, so
// tests can assert on the exact log text and wait for a line with a deadline.
#pragma once

#include <spdlog/logger.h>
#include <spdlog/sinks/base_sink.h>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace test_support {

struct log_record {
    spdlog::level::level_enum level;
    std::string line;  // formatted with time_server::log_pattern, without the newline

    // The text after "YYYY-MM-DD HH:MM:SS,mmm - ".
    std::string_view message() const;
};

class log_capture_sink final : public spdlog::sinks::base_sink<std::mutex> {
public:
    std::vector<log_record> records() const;
    std::vector<std::string> messages() const;

    // Messages that contain `substring`, in order.
    std::vector<std::string> messages_containing(std::string_view substring) const;
    std::size_t count_containing(std::string_view substring) const;

    // The first line containing `substring`, waiting for it until `timeout`.
    std::optional<std::string> wait_for_line(std::string_view substring, std::chrono::milliseconds timeout);

    // Waits until `count` lines contain `substring`; false on timeout.
    bool wait_for_count(std::string_view substring, std::size_t count, std::chrono::milliseconds timeout);

protected:
    void sink_it_(const spdlog::details::log_msg& msg) override;
    void flush_() override {}

private:
    // Separate from the base class's mutex, which is held only while a line
    // is being written; waiters need a lock of their own for the condition.
    mutable std::mutex records_mutex_;
    std::condition_variable changed_;
    std::vector<log_record> records_;
};

// A logger writing to `sink` in the server's own format, at `level`.
std::shared_ptr<spdlog::logger> make_capturing_logger(std::shared_ptr<log_capture_sink> sink,
                                                      spdlog::level::level_enum level);

}  // namespace test_support
