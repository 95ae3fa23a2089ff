// smoke_helpers.hpp - what the smoke tests of the binary share: where it is,
// a port the OS picked, the port the binary says it listens on, a reply's time.
#pragma once

#include "child_process.hpp"
#include "log_format.hpp"

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/ip/tcp.hpp>

#include <algorithm>
#include <chrono>
#include <string>
#include <string_view>

namespace smoke {

inline const std::string binary = TIME_SERVER_BINARY;

// Startup and shutdown must take well under this, even in a sanitizer build.
inline constexpr auto exit_timeout = std::chrono::seconds(5);

inline boost::asio::ip::tcp::endpoint loopback(std::uint16_t port) {
    return {boost::asio::ip::make_address("127.0.0.1"), port};
}

// A socket listening on 127.0.0.1 at a port the OS picked.
class port_holder {
public:
    port_holder() : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
        REQUIRE(fd_ >= 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(::bind(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0);
        REQUIRE(::listen(fd_, 1) == 0);
        socklen_t length = sizeof address;
        REQUIRE(::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) == 0);
        port_ = ntohs(address.sin_port);
    }
    ~port_holder() { close(); }
    port_holder(const port_holder&) = delete;
    port_holder& operator=(const port_holder&) = delete;

    std::uint16_t port() const { return port_; }
    void close() {
        if (fd_ >= 0) {
            ::close(fd_);
            fd_ = -1;
        }
    }

private:
    int fd_;
    std::uint16_t port_ = 0;
};

inline bool all_digits(std::string_view text) {
    return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// How many times `needle` occurs in `text`.
inline std::size_t count_occurrences(std::string_view text, std::string_view needle) {
    std::size_t count = 0;
    for (auto at = text.find(needle); at != std::string_view::npos; at = text.find(needle, at + needle.size())) {
        ++count;
    }
    return count;
}

// Reads the port from "Time server berjalan dan mendengarkan di port N...".
inline std::uint16_t listening_port(child_process& server) {
    const auto first = server.next_stdout_line(exit_timeout);
    INFO("stderr: " << server.stderr_text());
    REQUIRE(first);
    INFO("first line: " << *first);
    const auto message = test_support::log_message(*first);
    REQUIRE(message);
    constexpr std::string_view before = "Time server berjalan dan mendengarkan di port ";
    constexpr std::string_view after = "...";
    REQUIRE(message->substr(0, before.size()) == before);
    REQUIRE(message->size() > before.size() + after.size());
    REQUIRE(message->substr(message->size() - after.size()) == after);
    const auto digits = message->substr(before.size(), message->size() - before.size() - after.size());
    REQUIRE(all_digits(digits));
    const auto port = std::stoi(std::string(digits));
    REQUIRE(port > 0);
    REQUIRE(port < 65536);
    return static_cast<std::uint16_t>(port);
}

// Seconds since midnight of a "JAM hh:mm:ss\r\n" reply.
inline int reply_seconds(const std::string& reply) {
    INFO("reply: " << reply);
    REQUIRE(reply.size() == 14);
    REQUIRE(reply.substr(0, 4) == "JAM ");
    REQUIRE(reply.substr(12) == "\r\n");
    REQUIRE(reply[6] == ':');
    REQUIRE(reply[9] == ':');
    const auto h = std::string_view(reply).substr(4, 2);
    const auto m = std::string_view(reply).substr(7, 2);
    const auto s = std::string_view(reply).substr(10, 2);
    REQUIRE((all_digits(h) && all_digits(m) && all_digits(s)));
    const int hours = std::stoi(std::string(h));
    const int minutes = std::stoi(std::string(m));
    const int seconds = std::stoi(std::string(s));
    CHECK(hours < 24);
    CHECK(minutes < 60);
    CHECK(seconds < 60);
    return hours * 3600 + minutes * 60 + seconds;
}

}  // namespace smoke
