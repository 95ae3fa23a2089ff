// metrics_endpoint.hpp - the HTTP endpoint Prometheus scrapes (--metrics-port),
// served by coroutines on the server's own io_context with Boost.Beast. What
// it answers is metrics_http.hpp's; this file is the I/O around it.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <spdlog/logger.h>

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

namespace time_server {

class metrics_endpoint {
public:
    struct limits {
        // A scraper gets this long for each request, and for each response to
        // be taken; an idle keep-alive connection is closed after it too.
        std::chrono::milliseconds request_timeout{10'000};
        // Scrapers connected at once; one more is closed at once. Prometheus
        // keeps one connection per target.
        std::size_t max_connections = 8;
    };

    // Binds and listens at once; throws boost::system::system_error when it
    // cannot (a port in use), before anything runs. `metrics_text` is called
    // for every scrape, on one of the io_context's threads.
    metrics_endpoint(boost::asio::io_context& io, const boost::asio::ip::tcp::endpoint& where,
                     std::function<std::string()> metrics_text, spdlog::logger& log, limits bounds);

    metrics_endpoint(const metrics_endpoint&) = delete;
    metrics_endpoint& operator=(const metrics_endpoint&) = delete;
    ~metrics_endpoint() = default;

    boost::asio::ip::tcp::endpoint local_endpoint() const { return acceptor_.local_endpoint(); }

    // Spawns the accept loop; it runs once the io_context runs.
    void start();

    // Closes the listening socket and every scraper's connection. Safe from
    // any thread; the coroutines end soon after.
    void stop();

private:
    // Everything of the endpoint runs on one strand: scrapes are rare, and
    // stop() then touches the sockets only where their coroutines run.
    using executor = boost::asio::strand<boost::asio::io_context::executor_type>;
    using acceptor = boost::asio::basic_socket_acceptor<boost::asio::ip::tcp, executor>;
    using stream = boost::beast::basic_stream<boost::asio::ip::tcp, executor>;
    using timer = boost::asio::basic_waitable_timer<std::chrono::steady_clock,
                                                    boost::asio::wait_traits<std::chrono::steady_clock>, executor>;
    template <typename T>
    using task = boost::asio::awaitable<T, executor>;

    task<void> accept_scrapers();
    task<void> serve_scraper(stream connection);
    task<void> close_after_bad_request(stream& connection);

    executor strand_;
    acceptor acceptor_;
    timer backoff_;  // after a failed accept
    std::function<std::string()> metrics_text_;
    spdlog::logger& log_;
    limits limits_;
    std::vector<stream*> connections_;  // the live ones, for stop()
    bool stopped_ = false;
};

}  // namespace time_server
