// socket_activation.cpp - reading LISTEN_PID and LISTEN_FDS.
#include "socket_activation.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <charconv>
#include <cstdlib>
#include <string_view>
#include <system_error>

namespace time_server {
namespace {

// A whole decimal number, nothing before or after it.
template <typename Number>
std::optional<Number> parse_decimal(const char* text) {
    if (text == nullptr) {
        return std::nullopt;
    }
    const std::string_view digits(text);
    Number value{};
    const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (error != std::errc{} || end != digits.data() + digits.size() || digits.empty()) {
        return std::nullopt;
    }
    return value;
}

}  // namespace

std::optional<int> inherited_listener_count(const char* listen_pid, const char* listen_fds, pid_t self) {
    const auto pid = parse_decimal<pid_t>(listen_pid);
    const auto count = parse_decimal<int>(listen_fds);
    if (!pid || *pid != self || !count || *count < 1) {
        return std::nullopt;
    }
    return count;
}

std::vector<int> take_inherited_listeners() {
    // The environment functions are not thread safe: this runs once, at
    // start-up, before the server starts any thread.
    // NOLINTBEGIN(concurrency-mt-unsafe)
    const auto count = inherited_listener_count(std::getenv("LISTEN_PID"), std::getenv("LISTEN_FDS"), ::getpid());
    ::unsetenv("LISTEN_PID");
    ::unsetenv("LISTEN_FDS");
    ::unsetenv("LISTEN_FDNAMES");
    // NOLINTEND(concurrency-mt-unsafe)
    std::vector<int> descriptors;
    for (int i = 0; i < count.value_or(0); ++i) {
        const int descriptor = first_inherited_descriptor + i;
        const int flags = ::fcntl(descriptor, F_GETFD);
        if (flags >= 0) {
            ::fcntl(descriptor, F_SETFD, flags | FD_CLOEXEC);
        }
        descriptors.push_back(descriptor);
    }
    return descriptors;
}

}  // namespace time_server
