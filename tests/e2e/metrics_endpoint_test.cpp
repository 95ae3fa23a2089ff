// metrics_endpoint_test.cpp - the metrics endpoint's own limits, in process
// with short bounds: a slow or idle scraper is cut off, scrapers past the
// limit are closed at once, and stop() ends every connection.
#include "test_client.hpp"
#include "wait.hpp"

#include "metrics_endpoint.hpp"

#include <catch2/catch.hpp>

#include <spdlog/sinks/null_sink.h>

#include <atomic>
#include <string>
#include <thread>

namespace {

using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;
using test_support::close_kind;
using test_support::test_client;
using test_support::wait_until;

constexpr auto request_timeout = 300ms;

// The endpoint on a loopback port, with a fixed body, run on one thread.
class running_endpoint {
public:
    running_endpoint()
        : endpoint_(io_, {boost::asio::ip::make_address("127.0.0.1"), 0}, [] { return std::string("up 1\n"); }, log_,
                    {.request_timeout = request_timeout, .max_connections = 2}) {
        endpoint_.start();
        thread_ = std::thread([this] {
            io_.run();
            finished_ = true;
        });
    }
    ~running_endpoint() {
        stop();
        thread_.join();
    }
    running_endpoint(const running_endpoint&) = delete;
    running_endpoint& operator=(const running_endpoint&) = delete;

    test_client connect() const { return test_client(endpoint_.local_endpoint()); }
    void stop() { endpoint_.stop(); }
    bool finished() const { return finished_; }

private:
    boost::asio::io_context io_;
    spdlog::logger log_{"metrics", std::make_shared<spdlog::sinks::null_sink_mt>()};
    time_server::metrics_endpoint endpoint_;
    std::atomic<bool> finished_{false};
    std::thread thread_;
};

const std::string scrape = "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";

TEST_CASE("a scraper that trickles its request is cut off after the bound", "[e2e][metrics_endpoint]") {
    running_endpoint endpoint;
    auto client = endpoint.connect();
    const auto started = steady::now();
    // A byte every 50 ms: each read makes progress, the request never ends.
    auto how = close_kind::timeout;
    for (std::size_t i = 0; i < scrape.size() && how == close_kind::timeout; ++i) {
        client.send_some(scrape.substr(i, 1), 50ms);
        how = client.wait_closed(50ms);
    }
    const auto took = steady::now() - started;
    CHECK(how != close_kind::timeout);
    CHECK(how != close_kind::data);  // no response to half a request
    CHECK(took >= request_timeout - 50ms);
    CHECK(took < 1500ms);
}

TEST_CASE("an idle keep-alive connection is closed after the bound", "[e2e][metrics_endpoint]") {
    running_endpoint endpoint;
    auto client = endpoint.connect();
    client.send(scrape);
    CHECK(client.read_line() == "HTTP/1.1 200 OK\r\n");
    const auto answered = steady::now();
    CHECK(client.drain_until_closed(2s) != close_kind::timeout);
    CHECK(steady::now() - answered >= request_timeout - 50ms);
}

TEST_CASE("scrapers past the limit are closed at once, the others served", "[e2e][metrics_endpoint]") {
    running_endpoint endpoint;
    auto first = endpoint.connect();
    auto second = endpoint.connect();
    first.send(scrape);  // both are surely accepted once they are answered
    second.send(scrape);
    CHECK(first.read_line() == "HTTP/1.1 200 OK\r\n");
    CHECK(second.read_line() == "HTTP/1.1 200 OK\r\n");
    auto third = endpoint.connect();
    CHECK(third.wait_closed(request_timeout / 2) != close_kind::timeout);
}

TEST_CASE("stop() ends every scraper's connection and the endpoint's coroutines", "[e2e][metrics_endpoint]") {
    running_endpoint endpoint;
    auto client = endpoint.connect();
    client.send(scrape);
    CHECK(client.read_line() == "HTTP/1.1 200 OK\r\n");
    endpoint.stop();
    CHECK(client.drain_until_closed(request_timeout / 2) != close_kind::timeout);
    CHECK(wait_until([&] { return endpoint.finished(); }, 2s));
}

}  // namespace
