// test_servers.cpp - the real server wrapped for tests, and the fakes.
#include "test_servers.hpp"

#include "protocol.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <spdlog/sinks/null_sink.h>

#include <algorithm>
#include <array>
#include <exception>
#include <iostream>
#include <string_view>

namespace tools_test {

namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

constexpr auto use_tuple = net::as_tuple(net::use_awaitable);

// The fakes' coroutines end with errors on purpose and never throw; if one
// ever does, the test output says so.
struct report_fake_failure {
    void operator()(const std::exception_ptr& failure) const {
        if (failure) {
            std::cerr << "fake_server: a coroutine ended with an exception\n";
        }
    }
};

std::shared_ptr<spdlog::logger> silent_logger() {
    auto log = std::make_shared<spdlog::logger>("tools-test", std::make_shared<spdlog::sinks::null_sink_mt>());
    log->set_level(spdlog::level::off);
    return log;
}

tcp::acceptor listen_on_loopback(net::io_context& io) {
    return tcp::acceptor(io, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
}

std::string_view reply_for(fake_behaviour behaviour) {
    switch (behaviour) {
    case fake_behaviour::garbage:
        return "garbage\r\n";
    case fake_behaviour::bad_time:
        return "JAM 25:61:00\r\n";
    case fake_behaviour::error_reply:
        return time_server::unknown_command_reply;
    case fake_behaviour::double_reply:
        return "JAM 12:00:00\r\nJAM 12:00:00\r\n";
    default:
        return {};
    }
}

// One fake connection: for every LF received, the behaviour's reply.
net::awaitable<void> misbehave(tcp::socket socket, fake_behaviour behaviour) {
    std::array<char, 4096> buffer;
    for (;;) {
        auto [error, bytes] = co_await socket.async_read_some(net::buffer(buffer), use_tuple);
        if (error || behaviour == fake_behaviour::close_at_once) {
            co_return;  // the socket closes as the frame ends
        }
        const auto lines = std::count(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(bytes), '\n');
        std::string replies;
        for (std::ptrdiff_t i = 0; i < lines; ++i) {
            replies += reply_for(behaviour);
        }
        if (!replies.empty()) {
            auto [write_error, written] = co_await net::async_write(socket, net::buffer(replies), use_tuple);
            if (write_error) {
                co_return;
            }
        }
    }
}

net::awaitable<void> accept_fakes(tcp::acceptor& acceptor, fake_behaviour behaviour) {
    for (;;) {
        auto [error, socket] = co_await acceptor.async_accept(use_tuple);
        if (error) {
            co_return;  // closed by the destructor
        }
        net::co_spawn(acceptor.get_executor(), misbehave(std::move(socket), behaviour), report_fake_failure{});
    }
}

}  // namespace

running_server::running_server(const std::string& bind) {
    time_server::server_config config;
    config.bind_address = bind;
    config.port = 0;
    config.log_level = spdlog::level::off;
    server_.emplace(io_, config, silent_logger());
    port_ = server_->local_endpoint().port();
    server_->start();
    thread_ = std::jthread([this] { io_.run(); });
}

running_server::~running_server() {
    server_->stop();
    thread_.join();  // run() returns once every session has closed
}

fake_server::fake_server(fake_behaviour behaviour) : acceptor_(listen_on_loopback(io_)) {
    port_ = acceptor_.local_endpoint().port();
    net::co_spawn(io_, accept_fakes(acceptor_, behaviour), report_fake_failure{});
    thread_ = std::jthread([this] { io_.run(); });
}

fake_server::~fake_server() {
    io_.stop();  // abandons the fake connections where they are
    thread_.join();
}

std::uint16_t closed_port() {
    net::io_context io;
    tcp::acceptor acceptor = listen_on_loopback(io);
    return acceptor.local_endpoint().port();
}  // closed here: connecting now is refused

silent_listener::silent_listener() : acceptor_(listen_on_loopback(io_)) {
    port_ = acceptor_.local_endpoint().port();
}

}  // namespace tools_test
