// running_server.hpp - an in-process time server on a loopback port the OS
// picks, with a fixed clock and a captured log, run on two threads.
#pragma once

#include "log_capture.hpp"
#include "test_client.hpp"

#include "config.hpp"
#include "server.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>
#include <string_view>
#include <thread>
#include <vector>

namespace test_support {

// The clock every fixture server reads: 2025-06-16 21:35:10.333 UTC, the
// moment of docs/protocol.md's example log, so every TIME reply is known.
std::chrono::system_clock::time_point fixed_time();
inline constexpr std::string_view fixed_time_reply = "JAM 21:35:10\r\n";

// 127.0.0.1, port 0, two threads, UTC, and the protocol's other defaults.
time_server::server_config test_config();

class running_server {
public:
    explicit running_server(time_server::server_config config = test_config());
    ~running_server();

    running_server(const running_server&) = delete;
    running_server& operator=(const running_server&) = delete;

    // Where the server listens; remembered at start, still valid after stop.
    const boost::asio::ip::tcp::endpoint& endpoint() const { return endpoint_; }
    test_client connect() const { return test_client(endpoint_); }

    log_capture_sink& log() const { return *sink_; }
    const time_server::server_config& config() const { return config_; }
    std::size_t session_count() const { return server_->session_count(); }
    const time_server::server_metrics& metrics() const { return server_->metrics(); }

    // Whether the server stopped by itself because its accept loop failed.
    bool failed() const { return server_->failed(); }

    // Waits for the io_context threads to return without stopping the server
    // (it stops by itself); false on timeout.
    bool wait_until_finished(std::chrono::milliseconds timeout) const;

    // Polls session_count() until it equals `count`; false on timeout.
    bool wait_for_session_count(std::size_t count, std::chrono::milliseconds timeout = default_timeout) const;

    // server::stop(), then waits for the io_context threads to return. Returns
    // how long they took; if they do not finish within `limit` the test fails
    // and the io_context is stopped by force so that nothing hangs.
    std::chrono::milliseconds stop_and_join(std::chrono::milliseconds limit = std::chrono::milliseconds(2000));

private:
    time_server::server_config config_;
    boost::asio::io_context io_;
    std::shared_ptr<log_capture_sink> sink_;
    std::unique_ptr<time_server::server> server_;
    boost::asio::ip::tcp::endpoint endpoint_;
    std::atomic<unsigned> threads_finished_{0};
    std::vector<std::thread> threads_;
};

}  // namespace test_support
