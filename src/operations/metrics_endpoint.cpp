// metrics_endpoint.cpp - accept, then read a request, answer it, until the
// scraper closes, breaks the rules or takes too long.
#include "metrics_endpoint.hpp"

#include "metrics_http.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include <algorithm>
#include <array>
#include <exception>
#include <utility>

namespace time_server {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using boost::system::error_code;

namespace {

constexpr auto use_tuple = net::as_tuple(net::deferred);

// After a 400, how long and how much the endpoint reads and drops before it
// closes: a request over the header limit is still arriving, and closing on
// unread bytes would reset the connection before the 400 is read.
constexpr auto drain_time = std::chrono::milliseconds(500);
constexpr std::size_t drain_max_bytes = std::size_t{64} * 1024;

// How long the accept loop waits after a failed accept.
constexpr auto accept_backoff = std::chrono::milliseconds(100);

// Beast's parser reports a malformed or over-long request in its own error
// category; a connection's own errors (reset, timeout) come in others.
bool is_bad_request(const error_code& error) {
    return error.category() == http::make_error_code(http::error::bad_method).category() &&
           error != http::error::end_of_stream && error != http::error::partial_message;
}

template <typename Acceptor>
Acceptor listening_acceptor(const typename Acceptor::executor_type& executor, const tcp::endpoint& where) {
    Acceptor acceptor(executor);
    acceptor.open(where.protocol());
    acceptor.set_option(tcp::acceptor::reuse_address(true));
    if (where.address().is_v6()) {
        acceptor.set_option(net::ip::v6_only(false));  // as for the TIME port: "::" serves IPv4 too
    }
    acceptor.bind(where);
    acceptor.listen();
    return acceptor;
}

struct log_unexpected_exit {
    spdlog::logger& log;
    void operator()(const std::exception_ptr& failure) const {
        if (!failure) {
            return;
        }
        try {
            std::rethrow_exception(failure);
        } catch (const std::exception& e) {
            log.error("Endpoint metrik berhenti karena pengecualian: {}", e.what());
        }
    }
};

}  // namespace

metrics_endpoint::metrics_endpoint(net::io_context& io, const tcp::endpoint& where,
                                   std::function<std::string()> metrics_text, spdlog::logger& log, limits bounds)
    : strand_(net::make_strand(io)),
      acceptor_(listening_acceptor<acceptor>(strand_, where)),
      backoff_(strand_),
      metrics_text_(std::move(metrics_text)),
      log_(log),
      limits_(bounds) {}

void metrics_endpoint::start() {
    net::co_spawn(strand_, accept_scrapers(), log_unexpected_exit{log_});
}

void metrics_endpoint::stop() {
    net::post(strand_, [this] {
        stopped_ = true;
        error_code ignored;
        acceptor_.close(ignored);
        backoff_.cancel();
        for (stream* connection : connections_) {
            connection->socket().shutdown(tcp::socket::shutdown_both, ignored);
            connection->cancel();
        }
    });
}

metrics_endpoint::task<void> metrics_endpoint::accept_scrapers() {
    for (;;) {
        // Suspends until a scraper connects, or until stop() closes the acceptor.
        auto [error, socket] = co_await acceptor_.async_accept(use_tuple);
        if (stopped_) {
            co_return;
        }
        if (error) {
            // Out of descriptors, most likely (the TIME port's loop says so):
            // the connection stays queued, and accepting again at once would
            // spin. A scrape can wait.
            log_.debug("Endpoint metrik gagal menerima koneksi: {}", error.message());
            backoff_.expires_after(accept_backoff);
            // Suspends this loop only; stop() cancels the wait.
            co_await backoff_.async_wait(use_tuple);
            continue;
        }
        if (connections_.size() >= limits_.max_connections) {
            continue;  // closed as it goes out of scope
        }
        // Runs on this strand, after this loop's next suspension.
        net::co_spawn(strand_, serve_scraper(stream(std::move(socket))), log_unexpected_exit{log_});
    }
}

metrics_endpoint::task<void> metrics_endpoint::serve_scraper(stream connection) {
    connections_.push_back(&connection);
    beast::flat_buffer buffer;
    while (!stopped_) {
        scrape_parser parser;
        limit_scrape_request(parser);
        // The whole request within the bound, however slowly it trickles in.
        connection.expires_after(limits_.request_timeout);
        // Suspends until a request is complete, the scraper closes, the bound
        // passes (beast::error::timeout) or stop() cancels it.
        auto [read_error, read_bytes] = co_await http::async_read(connection, buffer, parser, use_tuple);
        if (is_bad_request(read_error)) {
            co_await close_after_bad_request(connection);
            break;
        }
        if (read_error) {
            break;  // closed, timed out, reset or stopped: nobody to answer
        }
        auto response = answer_scrape(parser.get(), metrics_text_);
        connection.expires_after(limits_.request_timeout);
        // Suspends until the scraper has taken the response (or the bound passes).
        auto [write_error, written] = co_await http::async_write(connection, response, use_tuple);
        if (write_error || !response.keep_alive()) {
            break;
        }
    }
    std::erase(connections_, &connection);
    error_code ignored;
    connection.socket().shutdown(tcp::socket::shutdown_send, ignored);
    connection.close();
}

metrics_endpoint::task<void> metrics_endpoint::close_after_bad_request(stream& connection) {
    auto response = bad_scrape_request();
    connection.expires_after(limits_.request_timeout);
    auto [write_error, written] = co_await http::async_write(connection, response, use_tuple);
    if (write_error) {
        co_return;
    }
    error_code ignored;
    connection.socket().shutdown(tcp::socket::shutdown_send, ignored);
    connection.expires_after(drain_time);
    std::array<char, 1024> scrap{};
    for (std::size_t drained = 0; drained < drain_max_bytes && !stopped_;) {
        // Suspends until more arrives, the scraper closes, or drain_time passes.
        auto [error, bytes] = co_await connection.async_read_some(net::buffer(scrap), use_tuple);
        if (error) {
            break;
        }
        drained += bytes;
    }
}

}  // namespace time_server
