// server.hpp - the TIME server as an object: bind, start, stop. Used by main()
// through run_server() and by the tests directly, on port 0.
#pragma once

#include "config.hpp"
#include "server_context.hpp"
#include "server_metrics.hpp"
#include "session_registry.hpp"
#include "time_of_day.hpp"

#include "session_socket.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <spdlog/logger.h>

#include <atomic>
#include <functional>
#include <memory>
#include <vector>

namespace time_server {

class server {
public:
    // Binds and listens at once, or takes over config.inherited_listeners
    // (socket activation); throws boost::system::system_error when it cannot
    // (a port in use, a bad address, a descriptor that is no listening TCP
    // socket), before anything runs.
    server(boost::asio::io_context& io, server_config config, std::shared_ptr<spdlog::logger> log,
           wall_clock clock = system_wall_clock());

    server(const server&) = delete;
    server& operator=(const server&) = delete;
    ~server() = default;

    // Where the (first) listening socket listens.
    boost::asio::ip::tcp::endpoint local_endpoint() const { return acceptors_.front().local_endpoint(); }

    // Spawns the accept loop and the idle watchdog; they run once the
    // io_context runs. `on_stopped`, if given, is called once, from any
    // thread, when the server has stopped and every session has closed.
    void start(std::function<void()> on_stopped = {});

    // Stops accepting and closes every session. Safe from any thread, any
    // number of times; io_context::run() returns once every session is gone.
    void stop();

    // Whether the server stopped because its accept loop failed, not because
    // stop() was called: the process should then exit with an error.
    bool failed() const { return failed_.load(); }

    std::size_t session_count() const { return registry_.size(); }

    // What the sessions and the accept loop have counted (a scrape's view).
    const server_metrics& metrics() const { return metrics_; }
    const server_config& config() const { return config_; }

private:
    server_config config_;
    std::shared_ptr<spdlog::logger> log_;
    wall_clock clock_;
    session_registry registry_;
    server_metrics metrics_;
    server_context context_;
    boost::asio::io_context::executor_type session_executor_;
    // The acceptors and the watchdog timer share one strand, so stop() never
    // touches them while their coroutines do.
    control_executor control_;
    std::vector<control_acceptor> acceptors_;  // one; or one per inherited socket (never resized)
    control_timer sweep_timer_;
    std::function<void()> on_stopped_;
    std::atomic<bool> failed_{false};
};

}  // namespace time_server
