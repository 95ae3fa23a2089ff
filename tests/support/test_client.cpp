// test_client.cpp - poll() with deadlines around plain blocking sockets, so a
// test states what it expects on the wire and fails with what it got instead.
#include "test_client.hpp"

#include "escaped.hpp"
#include "log_text.hpp"

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <utility>

namespace test_support {

namespace {

using steady = std::chrono::steady_clock;

// Bytes as the server's log would show them: readable in a failure message
// whatever the server sent.
std::string shown(std::string_view bytes) {
    std::string text;
    for (std::size_t at = 0; at < bytes.size(); at += time_server::max_logged_request_bytes) {
        text += test_support::escape_for_log(bytes.substr(at, time_server::max_logged_request_bytes));
    }
    return "'" + text + "'";
}

int remaining_ms(steady::time_point deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - steady::now()).count();
    return static_cast<int>(std::clamp<long long>(left, 0, 60'000));
}

// Waits for `events` on `fd` until `deadline`; false on timeout.
bool poll_until(int fd, short events, steady::time_point deadline) {
    for (;;) {
        pollfd entry{fd, events, 0};
        const int ready = ::poll(&entry, 1, remaining_ms(deadline));
        if (ready > 0) {
            return true;
        }
        if (ready == 0 && steady::now() >= deadline) {
            return false;
        }
        if (ready < 0 && errno != EINTR) {
            FAIL("poll failed: " << std::strerror(errno));
        }
    }
}

int open_connected(const boost::asio::ip::tcp::endpoint& server, int& error, int receive_buffer_bytes = 0) {
    const int fd = ::socket(server.protocol().family(), SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        error = errno;
        return -1;
    }
    if (receive_buffer_bytes > 0 &&
        ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &receive_buffer_bytes, sizeof receive_buffer_bytes) != 0) {
        error = errno;
        ::close(fd);
        return -1;
    }
    if (::connect(fd, server.data(), static_cast<socklen_t>(server.size())) != 0) {
        error = errno;
        ::close(fd);
        return -1;
    }
    error = 0;
    return fd;
}

}  // namespace

const char* to_string(close_kind kind) {
    switch (kind) {
    case close_kind::eof:
        return "eof";
    case close_kind::reset:
        return "reset";
    case close_kind::data:
        return "data";
    case close_kind::timeout:
        return "timeout";
    }
    return "?";
}

test_client::test_client(const boost::asio::ip::tcp::endpoint& server, int receive_buffer_bytes) {
    int error = 0;
    fd_ = open_connected(server, error, receive_buffer_bytes);
    if (fd_ < 0) {
        FAIL("cannot connect to " << server << ": " << std::strerror(error));
    }
}

test_client::test_client(std::string_view address, std::uint16_t port)
    : test_client(boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address(address), port)) {}

int test_client::connect_error(const boost::asio::ip::tcp::endpoint& server) {
    int error = 0;
    const int fd = open_connected(server, error);
    if (fd >= 0) {
        ::close(fd);
    }
    return error;
}

test_client::test_client(test_client&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), pending_(std::move(other.pending_)) {}

test_client& test_client::operator=(test_client&& other) noexcept {
    if (this != &other) {
        if (fd_ >= 0) {
            ::close(fd_);
        }
        fd_ = std::exchange(other.fd_, -1);
        pending_ = std::move(other.pending_);
    }
    return *this;
}

test_client::~test_client() {
    if (fd_ >= 0) {
        ::close(fd_);
    }
}

void test_client::send(std::string_view bytes, std::chrono::milliseconds timeout) {
    const auto sent = send_some(bytes, timeout);
    if (sent != bytes.size()) {
        FAIL("sent only " << sent << " of " << bytes.size() << " bytes within " << timeout.count()
                          << " ms: " << std::strerror(errno));
    }
}

std::size_t test_client::send_some(std::string_view bytes, std::chrono::milliseconds timeout) {
    const auto deadline = steady::now() + timeout;
    std::size_t sent = 0;
    while (sent < bytes.size()) {
        if (!poll_until(fd_, POLLOUT, deadline)) {
            errno = ETIMEDOUT;
            break;
        }
        // MSG_NOSIGNAL: a server that closed must fail the send, not kill the
        // test process with SIGPIPE.
        const auto n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
                continue;
            }
            break;
        }
        sent += static_cast<std::size_t>(n);
    }
    return sent;
}

test_client::fill_result test_client::fill(steady::time_point deadline) {
    std::array<char, 64 * 1024> chunk;
    for (;;) {
        if (!poll_until(fd_, POLLIN, deadline)) {
            return fill_result::timeout;
        }
        const auto n = ::recv(fd_, chunk.data(), chunk.size(), MSG_DONTWAIT);
        if (n > 0) {
            pending_.append(chunk.data(), static_cast<std::size_t>(n));
            return fill_result::data;
        }
        if (n == 0) {
            return fill_result::eof;
        }
        if (errno == ECONNRESET || errno == EPIPE) {
            return fill_result::reset;
        }
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
            FAIL("recv failed: " << std::strerror(errno));
        }
    }
}

std::string test_client::read_line(std::chrono::milliseconds timeout) {
    const auto deadline = steady::now() + timeout;
    for (;;) {
        const auto lf = pending_.find('\n');
        if (lf != std::string::npos) {
            std::string line = pending_.substr(0, lf + 1);
            pending_.erase(0, lf + 1);
            return line;
        }
        const auto result = fill(deadline);
        if (result == fill_result::timeout) {
            FAIL("no complete line within " << timeout.count() << " ms; received " << shown(pending_));
        }
        if (result != fill_result::data) {
            FAIL("connection " << (result == fill_result::eof ? "closed" : "reset")
                               << " while waiting for a line; received " << shown(pending_));
        }
    }
}

std::string test_client::read_exactly(std::size_t count, std::chrono::milliseconds timeout) {
    const auto deadline = steady::now() + timeout;
    while (pending_.size() < count) {
        const auto result = fill(deadline);
        if (result != fill_result::data) {
            FAIL("expected " << count << " bytes, got " << pending_.size() << " before "
                             << (result == fill_result::timeout ? "the timeout"
                                 : result == fill_result::eof   ? "EOF"
                                                                : "a reset")
                             << ": " << shown(pending_.substr(0, 200)));
        }
    }
    std::string bytes = pending_.substr(0, count);
    pending_.erase(0, count);
    return bytes;
}

std::string test_client::read_until_eof(std::chrono::milliseconds timeout) {
    const auto deadline = steady::now() + timeout;
    for (;;) {
        const auto result = fill(deadline);
        if (result == fill_result::eof) {
            return std::exchange(pending_, {});
        }
        if (result == fill_result::timeout) {
            FAIL("no EOF within " << timeout.count() << " ms; received " << shown(pending_));
        }
        if (result == fill_result::reset) {
            FAIL("connection reset instead of closed; received " << shown(pending_));
        }
    }
}

close_kind test_client::wait_closed(std::chrono::milliseconds timeout) {
    if (!pending_.empty()) {
        return close_kind::data;
    }
    switch (fill(steady::now() + timeout)) {
    case fill_result::data:
        return close_kind::data;
    case fill_result::eof:
        return close_kind::eof;
    case fill_result::reset:
        return close_kind::reset;
    case fill_result::timeout:
        return close_kind::timeout;
    }
    return close_kind::timeout;
}

close_kind test_client::drain_until_closed(std::chrono::milliseconds timeout) {
    const auto deadline = steady::now() + timeout;
    for (;;) {
        pending_.clear();
        switch (fill(deadline)) {
        case fill_result::data:
            continue;
        case fill_result::eof:
            return close_kind::eof;
        case fill_result::reset:
            return close_kind::reset;
        case fill_result::timeout:
            return close_kind::timeout;
        }
    }
}

void test_client::expect_closed(std::chrono::milliseconds timeout) {
    const auto how = wait_closed(timeout);
    INFO("received " << shown(pending_));
    if (how != close_kind::eof && how != close_kind::reset) {
        FAIL("expected the server to close within " << timeout.count() << " ms, got " << to_string(how));
    }
}

void test_client::shutdown_write() {
    if (::shutdown(fd_, SHUT_WR) != 0) {
        FAIL("shutdown(SHUT_WR) failed: " << std::strerror(errno));
    }
}

void test_client::close() {
    if (fd_ >= 0) {
        ::close(std::exchange(fd_, -1));
    }
}

void test_client::reset() {
    const linger abortive{1, 0};
    if (::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &abortive, sizeof abortive) != 0) {
        FAIL("setsockopt(SO_LINGER) failed: " << std::strerror(errno));
    }
    ::close(std::exchange(fd_, -1));
}

std::uint16_t test_client::local_port() const {
    sockaddr_storage address{};
    socklen_t length = sizeof address;
    if (::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
        FAIL("getsockname failed: " << std::strerror(errno));
    }
    if (address.ss_family == AF_INET6) {
        return ntohs(reinterpret_cast<const sockaddr_in6&>(address).sin6_port);
    }
    return ntohs(reinterpret_cast<const sockaddr_in&>(address).sin_port);
}

// Written from getsockname() and inet_ntop(), not with the server's own
// describe_peer(), so that the e2e tests check the server's text independently.
std::string test_client::peer_text() const {
    sockaddr_storage address{};
    socklen_t length = sizeof address;
    if (::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
        FAIL("getsockname failed: " << std::strerror(errno));
    }
    std::array<char, INET6_ADDRSTRLEN> text{};
    if (address.ss_family == AF_INET6) {
        ::inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6&>(address).sin6_addr, text.data(),
                    static_cast<socklen_t>(text.size()));
    } else {
        ::inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in&>(address).sin_addr, text.data(),
                    static_cast<socklen_t>(text.size()));
    }
    return "('" + std::string(text.data()) + "', " + std::to_string(local_port()) + ")";
}

}  // namespace test_support
