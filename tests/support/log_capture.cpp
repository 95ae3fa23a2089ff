// log_capture.cpp - in-memory log sink with waiting helpers; formats lines with
// the server's pattern so the tests see exactly what stdout would get.
#include "log_capture.hpp"

#include "logging.hpp"

#include <spdlog/pattern_formatter.h>

#include <algorithm>

namespace test_support {

namespace {

constexpr std::string_view message_separator = " - ";

}  // namespace

std::string_view log_record::message() const {
    const std::string_view text = line;
    const auto at = text.find(message_separator);
    return at == std::string_view::npos ? text : text.substr(at + message_separator.size());
}

void log_capture_sink::sink_it_(const spdlog::details::log_msg& msg) {
    spdlog::memory_buf_t formatted;
    formatter_->format(msg, formatted);
    std::string line(formatted.data(), formatted.size());
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) {
        line.pop_back();
    }
    {
        std::lock_guard lock(records_mutex_);
        records_.push_back({msg.level, std::move(line)});
    }
    changed_.notify_all();
}

std::vector<log_record> log_capture_sink::records() const {
    std::lock_guard lock(records_mutex_);
    return records_;
}

std::vector<std::string> log_capture_sink::messages() const {
    std::vector<std::string> result;
    std::lock_guard lock(records_mutex_);
    for (const auto& record : records_) {
        result.emplace_back(record.message());
    }
    return result;
}

std::vector<std::string> log_capture_sink::messages_containing(std::string_view substring) const {
    std::vector<std::string> result;
    std::lock_guard lock(records_mutex_);
    for (const auto& record : records_) {
        if (record.line.find(substring) != std::string::npos) {
            result.emplace_back(record.message());
        }
    }
    return result;
}

std::size_t log_capture_sink::count_containing(std::string_view substring) const {
    std::lock_guard lock(records_mutex_);
    return static_cast<std::size_t>(std::count_if(records_.begin(), records_.end(), [&](const log_record& record) {
        return record.line.find(substring) != std::string::npos;
    }));
}

std::optional<std::string> log_capture_sink::wait_for_line(std::string_view substring,
                                                           std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::unique_lock lock(records_mutex_);
    // Each wake-up scans only the lines added since the last one.
    std::size_t scanned = 0;
    for (;;) {
        for (; scanned < records_.size(); ++scanned) {
            if (records_[scanned].line.find(substring) != std::string::npos) {
                return records_[scanned].line;
            }
        }
        if (changed_.wait_until(lock, deadline) == std::cv_status::timeout && scanned == records_.size()) {
            return std::nullopt;
        }
    }
}

bool log_capture_sink::wait_for_count(std::string_view substring, std::size_t count,
                                      std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::unique_lock lock(records_mutex_);
    std::size_t scanned = 0;
    std::size_t found = 0;
    for (;;) {
        for (; scanned < records_.size(); ++scanned) {
            if (records_[scanned].line.find(substring) != std::string::npos) {
                ++found;
            }
        }
        if (found >= count) {
            return true;
        }
        if (changed_.wait_until(lock, deadline) == std::cv_status::timeout && scanned == records_.size()) {
            return false;
        }
    }
}

std::shared_ptr<spdlog::logger> make_capturing_logger(std::shared_ptr<log_capture_sink> sink,
                                                      spdlog::level::level_enum level) {
    auto logger = std::make_shared<spdlog::logger>("time_server_test", std::move(sink));
    logger->set_formatter(std::make_unique<spdlog::pattern_formatter>(time_server::log_pattern));
    logger->set_level(level);
    return logger;
}

}  // namespace test_support
