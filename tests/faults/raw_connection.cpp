// raw_connection.cpp - socket(2), setsockopt before connect(2), MSG_DONTWAIT
// sends and a poll(2) loop with a deadline for the end of the connection.
#include "raw_connection.hpp"

#include <catch2/catch.hpp>

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <utility>

namespace faults {

raw_connection::raw_connection(const boost::asio::ip::tcp::endpoint& server, int receive_buffer)
    : fd_(::socket(server.protocol().family(), SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    REQUIRE(fd_ >= 0);
    if (receive_buffer > 0) {
        REQUIRE(::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer) == 0);
    }
    if (::connect(fd_, server.data(), static_cast<socklen_t>(server.size())) != 0) {
        FAIL("cannot connect to " << server << ": " << std::strerror(errno));
    }
}

raw_connection::~raw_connection() {
    if (fd_ >= 0) {
        ::close(fd_);
    }
}

raw_connection::raw_connection(raw_connection&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

long raw_connection::send_now(std::string_view bytes) {
    // MSG_NOSIGNAL: a server that closed must fail the send, not kill the
    // test with SIGPIPE.
    const auto sent = ::send(fd_, bytes.data(), bytes.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    if (sent >= 0) {
        return sent;
    }
    return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -errno;
}

raw_connection::ending raw_connection::drain_until_closed(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::array<char, 64 * 1024> scrap;
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline -
                                                                                std::chrono::steady_clock::now());
        pollfd entry{fd_, POLLIN, 0};
        if (::poll(&entry, 1, static_cast<int>(std::max<long long>(left.count(), 0))) == 0) {
            return ending::timeout;
        }
        const auto got = ::recv(fd_, scrap.data(), scrap.size(), MSG_DONTWAIT);
        if (got == 0) {
            return ending::eof;
        }
        if (got < 0 && errno != EAGAIN && errno != EINTR) {
            return ending::reset;
        }
    }
}

const char* to_string(raw_connection::ending ending) {
    switch (ending) {
    case raw_connection::ending::eof:
        return "eof";
    case raw_connection::ending::reset:
        return "reset";
    case raw_connection::ending::timeout:
        return "timeout";
    }
    return "?";
}

}  // namespace faults
