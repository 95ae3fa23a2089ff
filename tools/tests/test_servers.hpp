// test_servers.hpp - servers for the tools' loopback tests: the real TIME
// server in-process on a port the OS picks, and small fakes that misbehave
// on purpose (garbage replies, silence, early close).
#pragma once

#include "server.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <thread>

namespace tools_test {

// The real server on 127.0.0.1 (or `bind`) port 0, its io_context on a thread
// of its own; stopped and joined on destruction.
class running_server {
public:
    explicit running_server(const std::string& bind = "127.0.0.1");
    ~running_server();
    running_server(const running_server&) = delete;
    running_server& operator=(const running_server&) = delete;

    std::uint16_t port() const { return port_; }

private:
    boost::asio::io_context io_;
    std::optional<time_server::server> server_;
    std::uint16_t port_ = 0;
    std::jthread thread_;
};

// What a fake server does with each connection.
enum class fake_behaviour {
    garbage,        // answers every line with "garbage\r\n"
    bad_time,       // answers every line with "JAM 25:61:00\r\n"
    error_reply,    // answers every line with the unknown-command ERROR line
    double_reply,   // answers every line with two valid TIME replies
    close_at_once,  // closes as soon as the first bytes arrive
    mute,           // reads everything, never answers, never closes
};

// A tiny coroutine server on 127.0.0.1 port 0 with one bad behaviour.
class fake_server {
public:
    explicit fake_server(fake_behaviour behaviour);
    ~fake_server();
    fake_server(const fake_server&) = delete;
    fake_server& operator=(const fake_server&) = delete;

    std::uint16_t port() const { return port_; }

private:
    boost::asio::io_context io_;
    boost::asio::ip::tcp::acceptor acceptor_;
    std::uint16_t port_ = 0;
    std::jthread thread_;
};

// A port on 127.0.0.1 where nothing listens: bound, then closed at once.
std::uint16_t closed_port();

// A socket that listens on 127.0.0.1 but never accepts: connects succeed (the
// kernel completes them) and nothing is ever answered.
class silent_listener {
public:
    silent_listener();
    std::uint16_t port() const { return port_; }

private:
    boost::asio::io_context io_;
    boost::asio::ip::tcp::acceptor acceptor_;
    std::uint16_t port_ = 0;
};

}  // namespace tools_test
