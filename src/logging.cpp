// logging.cpp - a buffered stdout sink with a periodic flush.
#include "logging.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/base_sink.h>

#include <array>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <thread>
#include <unistd.h>
#include <utility>

namespace time_server {
namespace {

constexpr auto flush_period = std::chrono::milliseconds(200);

// spdlog's own stdout sink calls fflush after every line: one write(2) per
// line, under the sink's mutex. This one leaves the lines in stdio's buffer and
// lets a background thread flush them.
class buffered_stdout_sink final : public spdlog::sinks::base_sink<std::mutex> {
public:
    buffered_stdout_sink() : flush_each_line_(isatty(STDOUT_FILENO) == 1) {
        if (!flush_each_line_) {
            flusher_ = std::jthread([this](const std::stop_token& stop) { flush_periodically(stop); });
        }
    }

    ~buffered_stdout_sink() override {
        flusher_ = {};  // a jthread: asks the flusher to stop and joins it
        std::fflush(stdout);
    }

    buffered_stdout_sink(const buffered_stdout_sink&) = delete;
    buffered_stdout_sink& operator=(const buffered_stdout_sink&) = delete;

protected:
    void sink_it_(const spdlog::details::log_msg& msg) override {
        spdlog::memory_buf_t formatted;
        formatter_->format(msg, formatted);
        std::fwrite(formatted.data(), 1, formatted.size(), stdout);
        if (flush_each_line_) {
            std::fflush(stdout);
        }
    }

    void flush_() override { std::fflush(stdout); }

private:
    void flush_periodically(const std::stop_token& stop) {
        std::mutex wait_mutex;
        std::unique_lock wait_lock(wait_mutex);
        // Wakes after one period, or at once when the sink is destroyed.
        while (!stop.stop_requested()) {
            wakeup_.wait_for(wait_lock, stop, flush_period, [] { return false; });
            flush();  // takes the sink's mutex: never interleaves with a line being written
        }
    }

    bool flush_each_line_;
    std::condition_variable_any wakeup_;
    std::jthread flusher_;
};

}  // namespace

std::optional<spdlog::level::level_enum> parse_log_level(std::string_view name) {
    constexpr std::array<std::pair<std::string_view, spdlog::level::level_enum>, 5> levels{{
        {"debug", spdlog::level::debug},
        {"info", spdlog::level::info},
        {"warn", spdlog::level::warn},
        {"error", spdlog::level::err},
        {"off", spdlog::level::off},
    }};
    for (const auto& [level_name, level] : levels) {
        if (level_name == name) {
            return level;
        }
    }
    return std::nullopt;
}

std::shared_ptr<spdlog::logger> make_stdout_logger(spdlog::level::level_enum level) {
    auto logger = std::make_shared<spdlog::logger>("time_server", std::make_shared<buffered_stdout_sink>());
    logger->set_formatter(std::make_unique<spdlog::pattern_formatter>(log_pattern));
    logger->set_level(level);
    return logger;
}

}  // namespace time_server
