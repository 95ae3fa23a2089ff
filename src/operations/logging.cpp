// logging.cpp - the stdout sink: lines formatted without a lock, buffered,
// written in large chunks and flushed at least every 200 ms.
#include "logging.hpp"

#include <spdlog/sinks/sink.h>

#include <array>
#include <cerrno>
#include <condition_variable>
#include <ctime>
#include <mutex>
#include <string>
#include <thread>
#include <unistd.h>
#include <utility>

namespace time_server {
namespace {

constexpr auto flush_period = std::chrono::milliseconds(200);
constexpr std::size_t write_threshold = std::size_t{64} * 1024;  // a busy server writes in chunks this big

void put_digits(char* out, int value, int width) {
    for (int i = width - 1; i >= 0; --i) {
        out[i] = static_cast<char>('0' + value % 10);
        value /= 10;
    }
}

// Writes all of `bytes` to stdout; a log that cannot be written is dropped
// rather than stopping the server.
void write_stdout(std::string_view bytes) {
    while (!bytes.empty()) {
        const auto written = ::write(STDOUT_FILENO, bytes.data(), bytes.size());
        if (written < 0 && errno == EINTR) {
            continue;
        }
        if (written <= 0) {
            return;
        }
        bytes.remove_prefix(static_cast<std::size_t>(written));
    }
}

// spdlog's stdout sinks format each line under their mutex and write(2) it
// at once: with two lines per request, the threads queue on that mutex. Here
// each thread formats its line on its own, and the lock only guards an
// append to the pending buffer.
class stdout_sink final : public spdlog::sinks::sink {
public:
    stdout_sink() : flush_each_line_(isatty(STDOUT_FILENO) == 1) {
        if (!flush_each_line_) {
            flusher_ = std::jthread([this](const std::stop_token& stop) { flush_periodically(stop); });
        }
    }

    ~stdout_sink() override {
        flusher_ = {};  // a jthread: asks the flusher to stop and joins it
        flush();
    }

    stdout_sink(const stdout_sink&) = delete;
    stdout_sink& operator=(const stdout_sink&) = delete;

    void log(const spdlog::details::log_msg& msg) override {
        thread_local std::string line;
        line.clear();
        append_log_prefix(line, msg.time);
        line.append(msg.payload.data(), msg.payload.size());
        line.push_back('\n');

        bool write_now = flush_each_line_;
        {
            std::lock_guard lock(pending_mutex_);
            pending_.append(line);
            write_now = write_now || pending_.size() >= write_threshold;
        }
        if (write_now) {
            flush();
        }
    }

    void flush() override {
        // The write lock keeps chunks in order; the pending lock is held
        // only for the swap, so logging threads never wait for write(2).
        std::lock_guard write_lock(write_mutex_);
        {
            std::lock_guard lock(pending_mutex_);
            std::swap(pending_, writing_);
        }
        write_stdout(writing_);
        writing_.clear();
    }

    // The format is docs/protocol.md's and fixed: patterns do not apply.
    void set_pattern(const std::string& /*pattern*/) override {}
    void set_formatter(std::unique_ptr<spdlog::formatter> /*formatter*/) override {}

private:
    void flush_periodically(const std::stop_token& stop) {
        std::mutex wait_mutex;
        std::unique_lock wait_lock(wait_mutex);
        while (!stop.stop_requested()) {
            wakeup_.wait_for(wait_lock, stop, flush_period, [] { return false; });
            flush();
        }
    }

    const bool flush_each_line_;
    std::mutex pending_mutex_;
    std::string pending_;  // guarded by pending_mutex_
    std::mutex write_mutex_;
    std::string writing_;  // guarded by write_mutex_
    std::condition_variable_any wakeup_;
    std::jthread flusher_;
};

}  // namespace

void append_log_prefix(std::string& out, std::chrono::system_clock::time_point when) {
    // "YYYY-MM-DD HH:MM:SS" changes once a second: each thread remembers it.
    thread_local std::int64_t cached_second = INT64_MIN;
    thread_local std::array<char, 19> cached_text{};

    const auto since_epoch = when.time_since_epoch();
    const auto second = std::chrono::floor<std::chrono::seconds>(since_epoch).count();
    if (second != cached_second) {
        const auto as_time_t = static_cast<std::time_t>(second);
        std::tm fields{};
        localtime_r(&as_time_t, &fields);
        char* text = cached_text.data();
        put_digits(text, fields.tm_year + 1900, 4);
        text[4] = '-';
        put_digits(text + 5, fields.tm_mon + 1, 2);
        text[7] = '-';
        put_digits(text + 8, fields.tm_mday, 2);
        text[10] = ' ';
        put_digits(text + 11, fields.tm_hour, 2);
        text[13] = ':';
        put_digits(text + 14, fields.tm_min, 2);
        text[16] = ':';
        put_digits(text + 17, fields.tm_sec, 2);
        cached_second = second;
    }
    const auto millis = std::chrono::floor<std::chrono::milliseconds>(since_epoch).count() % 1000;
    std::array<char, 3> millis_text{};
    put_digits(millis_text.data(), static_cast<int>(millis), 3);

    out.append(cached_text.data(), cached_text.size());
    out.push_back(',');
    out.append(millis_text.data(), millis_text.size());
    out.append(" - ");
}

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
    auto logger = std::make_shared<spdlog::logger>("time_server", std::make_shared<stdout_sink>());
    logger->set_level(level);
    return logger;
}

}  // namespace time_server
