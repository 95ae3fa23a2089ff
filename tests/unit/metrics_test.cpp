// metrics_test.cpp - the Prometheus endpoint's pure parts: the striped
// counters (core/server_metrics), the text exposition format
// (operations/metrics_text) and the HTTP routing with its parser limits
// (operations/metrics_http). No socket: requests are built or parsed in memory.
#include "metrics_http.hpp"
#include "metrics_text.hpp"
#include "server_metrics.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/verb.hpp>
#include <boost/beast/http/write.hpp>

#include <catch2/catch.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <latch>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

namespace http = boost::beast::http;
using time_server::metrics_state;
using time_server::scrape_parser;
using time_server::scrape_request;
using time_server::scrape_response;
using time_server::server_metrics;
using time_server::session_end;

// ---------------------------------------------------------------- counters

TEST_CASE("server_metrics: adds from several threads sum exactly in snapshot()", "[unit][metrics]") {
    constexpr int thread_count = 4;
    constexpr std::uint64_t adds_per_thread = 50'000;
    server_metrics metrics;
    time_server::command_tally tally;
    tally.count(time_server::command::time);
    tally.count(time_server::command::unknown);
    tally.count(time_server::command::unknown);

    std::latch start(thread_count);  // every thread counting at once, not one after the other
    std::vector<std::thread> threads;
    for (int t = 0; t < thread_count; ++t) {
        threads.emplace_back([&] {
            start.arrive_and_wait();
            for (std::uint64_t i = 0; i < adds_per_thread; ++i) {
                metrics.connection_accepted();
                metrics.connection_refused();
                metrics.accept_error();
                metrics.session_ended(session_end::io_error);
                metrics.requests_answered(tally);
            }
        });
    }
    for (auto& thread : threads) {
        thread.join();
    }

    const auto sum = metrics.snapshot();
    constexpr auto total = thread_count * adds_per_thread;
    CHECK(sum.connections_accepted == total);
    CHECK(sum.connections_refused == total);
    CHECK(sum.accept_errors == total);
    CHECK(sum.requests == std::array<std::uint64_t, 4>{total, 0, 0, 2 * total});
    CHECK(sum.sessions_ended[static_cast<std::size_t>(session_end::io_error)] == total);
    for (std::size_t i = 0; i < sum.sessions_ended.size(); ++i) {
        if (i != static_cast<std::size_t>(session_end::io_error)) {
            INFO("reason " << time_server::session_end_labels.at(i));
            CHECK(sum.sessions_ended[i] == 0);
        }
    }
}

TEST_CASE("server_metrics: requests_answered adds a whole tally, by command", "[unit][metrics]") {
    server_metrics metrics;
    CHECK(metrics.snapshot().requests == std::array<std::uint64_t, 4>{});

    time_server::command_tally tally;
    for (const auto what : {time_server::command::time, time_server::command::time, time_server::command::time,
                            time_server::command::quit, time_server::command::help, time_server::command::help,
                            time_server::command::unknown, time_server::command::empty}) {
        tally.count(what);
    }
    REQUIRE(tally.counts == std::array<std::uint32_t, 4>{3, 1, 2, 1});  // the empty line is no request

    metrics.requests_answered(tally);
    CHECK(metrics.snapshot().requests == std::array<std::uint64_t, 4>{3, 1, 2, 1});
    metrics.requests_answered(tally);
    CHECK(metrics.snapshot().requests == std::array<std::uint64_t, 4>{6, 2, 4, 2});
    metrics.requests_answered(time_server::command_tally{});
    CHECK(metrics.snapshot().requests == std::array<std::uint64_t, 4>{6, 2, 4, 2});
    // Nothing else moved.
    const auto sum = metrics.snapshot();
    CHECK(sum.connections_accepted == 0);
    CHECK(sum.sessions_ended == std::array<std::uint64_t, time_server::session_end_count>{});
}

TEST_CASE("server_metrics: session_ended counts by reason", "[unit][metrics]") {
    server_metrics metrics;
    // Reason i ends i + 1 sessions, so a count under the wrong label shows.
    for (std::size_t i = 0; i < time_server::session_end_count; ++i) {
        for (std::size_t k = 0; k <= i; ++k) {
            metrics.session_ended(static_cast<session_end>(i));
        }
    }
    const auto sum = metrics.snapshot();
    CHECK(sum.sessions_ended == std::array<std::uint64_t, time_server::session_end_count>{1, 2, 3, 4, 5, 6, 7});
    CHECK(sum.sessions_ended[static_cast<std::size_t>(session_end::client_closed)] == 1);
    CHECK(sum.sessions_ended[static_cast<std::size_t>(session_end::proxy_header)] == 7);
    CHECK(sum.connections_accepted == 0);
    CHECK(sum.requests == std::array<std::uint64_t, 4>{});
}

// ---------------------------------------------------------------- text format

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        lines.push_back(line);
    }
    return lines;
}

std::vector<std::string> sample_lines(const std::string& text) {
    std::vector<std::string> samples;
    for (auto& line : lines_of(text)) {
        if (!line.starts_with('#')) {
            samples.push_back(line);
        }
    }
    return samples;
}

metrics_state known_state() {
    metrics_state state;
    state.counted.connections_accepted = 12;
    state.counted.connections_refused = 2;
    state.counted.accept_errors = 4;
    state.counted.requests = {7, 3, 2, 1};
    state.counted.sessions_ended = {11, 12, 13, 14, 15, 16, 17};
    state.connections_active = 5;
    state.connections_max = 100;
    state.process.resident_memory_bytes = 123456;
    state.process.open_fds = 9;
    state.process.max_fds = 1024;
    state.process.cpu_seconds = 1.5;
    state.process_start_time_seconds = 1700000000.5;
    state.version = "1.2.3";
    state.backend = "epoll";
    return state;
}

TEST_CASE("metrics_text: the exact samples of a known state", "[unit][metrics]") {
    const auto text = time_server::metrics_text(known_state());
    INFO(text);
    CHECK(sample_lines(text) == std::vector<std::string>{
                                    "time_server_connections_accepted_total 12",
                                    "time_server_connections_refused_total 2",
                                    "time_server_connections_active 5",
                                    "time_server_connections_max 100",
                                    R"(time_server_requests_total{command="time"} 7)",
                                    R"(time_server_requests_total{command="quit"} 3)",
                                    R"(time_server_requests_total{command="help"} 2)",
                                    R"(time_server_requests_total{command="unknown"} 1)",
                                    R"(time_server_sessions_ended_total{reason="client_closed"} 11)",
                                    R"(time_server_sessions_ended_total{reason="quit"} 12)",
                                    R"(time_server_sessions_ended_total{reason="idle_timeout"} 13)",
                                    R"(time_server_sessions_ended_total{reason="line_too_long"} 14)",
                                    R"(time_server_sessions_ended_total{reason="io_error"} 15)",
                                    R"(time_server_sessions_ended_total{reason="server_stop"} 16)",
                                    R"(time_server_sessions_ended_total{reason="proxy_header"} 17)",
                                    "time_server_accept_errors_total 4",
                                    R"(time_server_build_info{version="1.2.3",backend="epoll"} 1)",
                                    "process_resident_memory_bytes 123456",
                                    "process_open_fds 9",
                                    "process_max_fds 1024",
                                    "process_cpu_seconds_total 1.5",
                                    "process_start_time_seconds 1700000000.5",
                                });
}

TEST_CASE("metrics_text: every command and every reason is there at 0 before any count", "[unit][metrics]") {
    metrics_state state;
    state.counted.requests[0] = 7;  // time
    state.version = "1.2.3";
    state.backend = "epoll";
    const auto text = time_server::metrics_text(state);
    INFO(text);
    const auto samples = sample_lines(text);
    const std::set<std::string> present(samples.begin(), samples.end());
    // A series that appears only after its first count breaks rate() and
    // alerts on it; every label value is written from the start.
    for (const auto* line : {
             R"(time_server_requests_total{command="time"} 7)",
             R"(time_server_requests_total{command="quit"} 0)",
             R"(time_server_requests_total{command="help"} 0)",
             R"(time_server_requests_total{command="unknown"} 0)",
             R"(time_server_sessions_ended_total{reason="client_closed"} 0)",
             R"(time_server_sessions_ended_total{reason="quit"} 0)",
             R"(time_server_sessions_ended_total{reason="idle_timeout"} 0)",
             R"(time_server_sessions_ended_total{reason="line_too_long"} 0)",
             R"(time_server_sessions_ended_total{reason="io_error"} 0)",
             R"(time_server_sessions_ended_total{reason="server_stop"} 0)",
             R"(time_server_sessions_ended_total{reason="proxy_header"} 0)",
             "time_server_connections_accepted_total 0",
             "time_server_connections_refused_total 0",
             "time_server_accept_errors_total 0",
             R"(time_server_build_info{version="1.2.3",backend="epoll"} 1)",
         }) {
        INFO("missing: " << line);
        CHECK(present.count(line) == 1);
    }
}

TEST_CASE("metrics_text: every family has one HELP and one TYPE line before its samples", "[unit][metrics]") {
    const auto text = time_server::metrics_text(known_state());
    INFO(text);
    REQUIRE_FALSE(text.empty());
    CHECK(text.back() == '\n');

    struct family {
        int help = 0;
        int type = 0;
        std::string kind;
        int samples = 0;
    };
    std::map<std::string, family> families;
    for (const auto& line : lines_of(text)) {
        INFO("line: " << line);
        CHECK_FALSE(line.empty());  // no blank lines in the exposition format
        if (line.starts_with("# HELP ")) {
            const auto rest = line.substr(7);
            const auto space = rest.find(' ');
            REQUIRE(space != std::string::npos);  // a name, then the help text
            CHECK(space + 1 < rest.size());
            auto& f = families[rest.substr(0, space)];
            CHECK(f.samples == 0);
            ++f.help;
        } else if (line.starts_with("# TYPE ")) {
            const auto rest = line.substr(7);
            const auto space = rest.find(' ');
            REQUIRE(space != std::string::npos);
            const auto name = rest.substr(0, space);
            auto& f = families[name];
            CHECK(f.samples == 0);
            ++f.type;
            f.kind = rest.substr(space + 1);
            CHECK((f.kind == "counter" || f.kind == "gauge"));
            if (f.kind == "counter") {
                CHECK(name.ends_with("_total"));
            }
        } else {
            CHECK_FALSE(line.starts_with('#'));
            const auto end_of_name = line.find_first_of("{ ");
            REQUIRE(end_of_name != std::string::npos);
            const auto name = line.substr(0, end_of_name);
            REQUIRE(families.count(name) == 1);  // its HELP and TYPE came first
            const auto& f = families[name];
            CHECK(f.help == 1);
            CHECK(f.type == 1);
            ++families[name].samples;
            // The value: one number after the last space.
            const auto value = line.substr(line.rfind(' ') + 1);
            std::size_t used = 0;
            CHECK_NOTHROW(std::stod(value, &used));
            CHECK(used == value.size());
        }
    }
    CHECK(families.size() == 13);
    for (const auto& [name, f] : families) {
        INFO("family " << name);
        CHECK(f.help == 1);
        CHECK(f.type == 1);
        CHECK(f.samples >= 1);
    }
    CHECK(families["time_server_requests_total"].samples == 4);
    CHECK(families["time_server_sessions_ended_total"].samples == 7);
}

// ---------------------------------------------------------------- routing

std::string text_of(boost::beast::string_view view) {
    return {view.data(), view.size()};
}

std::string serialized(const scrape_response& response) {
    std::ostringstream out;
    out << response;
    return out.str();
}

scrape_request request(http::verb method, std::string_view target, unsigned version = 11) {
    scrape_request r(method, {target.data(), target.size()}, version);
    r.set(http::field::host, "localhost:9100");
    return r;
}

const std::string metrics_body = "time_server_connections_active 3\n";

// The callback answer_scrape is given, counting its calls.
struct metrics_source {
    int calls = 0;
    std::function<std::string()> callback() {
        return [this] {
            ++calls;
            return metrics_body;
        };
    }
};

TEST_CASE("answer_scrape: GET /metrics is 200 with the callback's text", "[unit][metrics][http]") {
    metrics_source source;
    const auto response = time_server::answer_scrape(request(http::verb::get, "/metrics"), source.callback());
    CHECK(response.result() == http::status::ok);
    CHECK(source.calls == 1);
    CHECK(response.body() == metrics_body);
    CHECK(text_of(response[http::field::content_type]) == "text/plain; version=0.0.4; charset=utf-8");
    CHECK(text_of(response[http::field::content_length]) == std::to_string(metrics_body.size()));
    CHECK(response.version() == 11);
    const auto wire = serialized(response);
    CHECK(wire.starts_with("HTTP/1.1 200 OK\r\n"));
    CHECK(wire.ends_with("\r\n\r\n" + metrics_body));
}

TEST_CASE("answer_scrape: HEAD /metrics has GET's headers and Content-Length, and no body", "[unit][metrics][http]") {
    metrics_source source;
    const auto get = time_server::answer_scrape(request(http::verb::get, "/metrics"), source.callback());
    const auto head = time_server::answer_scrape(request(http::verb::head, "/metrics"), source.callback());
    CHECK(head.result() == http::status::ok);
    CHECK(source.calls == 2);  // the length is the text's: it is written, then dropped
    CHECK(head.body().empty());
    CHECK(text_of(head[http::field::content_length]) == std::to_string(get.body().size()));
    CHECK(text_of(head[http::field::content_type]) == text_of(get[http::field::content_type]));
    CHECK(head.keep_alive() == get.keep_alive());
    const auto wire = serialized(head);
    CHECK(wire.ends_with("\r\n\r\n"));
    CHECK(wire.find(metrics_body) == std::string::npos);
}

TEST_CASE("answer_scrape: another path is 404 and never echoes the target", "[unit][metrics][http]") {
    const std::string target = "/other<script>alert(1)</script>?q=%0d%0aX-Injected:%20yes";
    for (const auto method : {http::verb::get, http::verb::head}) {
        INFO("method " << text_of(http::to_string(method)));
        metrics_source source;
        const auto response = time_server::answer_scrape(request(method, target), source.callback());
        CHECK(response.result() == http::status::not_found);
        CHECK(source.calls == 0);  // a 404 costs no scrape
        const auto wire = serialized(response);
        INFO(wire);
        CHECK(wire.starts_with("HTTP/1.1 404 Not Found\r\n"));
        CHECK(wire.find("other") == std::string::npos);
        CHECK(wire.find("script") == std::string::npos);
        CHECK(wire.find("Injected") == std::string::npos);
        CHECK(wire.find(metrics_body) == std::string::npos);
    }
    // Near misses are other paths too.
    for (const auto* near : {"/metrics/", "/Metrics", "/metrics?x=1", "/", "metrics", "/metricsX", "*"}) {
        INFO("target " << near);
        metrics_source source;
        CHECK(time_server::answer_scrape(request(http::verb::get, near), source.callback()).result() ==
              http::status::not_found);
        CHECK(source.calls == 0);
    }
}

TEST_CASE("answer_scrape: POST, PUT and DELETE are 405 with Allow: GET, HEAD", "[unit][metrics][http]") {
    for (const auto method : {http::verb::post, http::verb::put, http::verb::delete_, http::verb::options}) {
        for (const auto* target : {"/metrics", "/elsewhere-9f2c"}) {
            INFO(text_of(http::to_string(method)) << ' ' << target);
            metrics_source source;
            auto r = request(method, target);
            r.body() = "a body";
            r.prepare_payload();
            const auto response = time_server::answer_scrape(r, source.callback());
            CHECK(response.result() == http::status::method_not_allowed);
            CHECK(text_of(response[http::field::allow]) == "GET, HEAD");
            CHECK(source.calls == 0);
            const auto wire = serialized(response);
            CHECK(wire.find("elsewhere-9f2c") == std::string::npos);
            CHECK(wire.find(metrics_body) == std::string::npos);
            CHECK(text_of(response[http::field::content_length]) == std::to_string(response.body().size()));
        }
    }
}

TEST_CASE("answer_scrape keeps the connection open only when the request asks", "[unit][metrics][http]") {
    metrics_source source;
    SECTION("HTTP/1.0 without keep-alive: closes") {
        const auto response = time_server::answer_scrape(request(http::verb::get, "/metrics", 10), source.callback());
        CHECK(response.result() == http::status::ok);
        CHECK(response.version() == 10);
        CHECK_FALSE(response.keep_alive());
        CHECK(serialized(response).starts_with("HTTP/1.0 200 OK\r\n"));
    }
    SECTION("HTTP/1.0 with Connection: keep-alive: stays") {
        auto r = request(http::verb::get, "/metrics", 10);
        r.keep_alive(true);
        const auto response = time_server::answer_scrape(r, source.callback());
        CHECK(response.keep_alive());
        CHECK(serialized(response).find("Connection: keep-alive\r\n") != std::string::npos);
    }
    SECTION("HTTP/1.1: stays") {
        CHECK(time_server::answer_scrape(request(http::verb::get, "/metrics"), source.callback()).keep_alive());
        CHECK(time_server::answer_scrape(request(http::verb::get, "/nope"), source.callback()).keep_alive());
        CHECK(time_server::answer_scrape(request(http::verb::post, "/metrics"), source.callback()).keep_alive());
    }
    SECTION("HTTP/1.1 with Connection: close: closes") {
        auto r = request(http::verb::get, "/metrics");
        r.keep_alive(false);
        const auto response = time_server::answer_scrape(r, source.callback());
        CHECK_FALSE(response.keep_alive());
        CHECK(serialized(response).find("Connection: close\r\n") != std::string::npos);
    }
}

TEST_CASE("bad_scrape_request is 400 and closes the connection", "[unit][metrics][http]") {
    const auto response = time_server::bad_scrape_request();
    CHECK(response.result() == http::status::bad_request);
    CHECK_FALSE(response.keep_alive());
    CHECK(text_of(response[http::field::content_length]) == std::to_string(response.body().size()));
    const auto wire = serialized(response);
    CHECK(wire.starts_with("HTTP/1.1 400 Bad Request\r\n"));
    CHECK(wire.find("Connection: close\r\n") != std::string::npos);
}

// ---------------------------------------------------------------- parser limits

// Feeds `bytes` to `parser` with put() the way Beast's documentation shows:
// each call gets every byte not yet consumed. need_more with none consumed
// means the input ran out before the request did.
boost::system::error_code put_all(scrape_parser& parser, std::string_view bytes) {
    boost::system::error_code error;
    while (!parser.is_done()) {
        const auto used = parser.put(boost::asio::const_buffer(bytes.data(), bytes.size()), error);
        bytes.remove_prefix(used);
        if (error == http::error::need_more && used > 0) {
            error = {};
            continue;
        }
        if (error) {
            return error;
        }
    }
    return error;
}

boost::system::error_code parse_limited(std::string_view bytes, scrape_request* parsed = nullptr) {
    scrape_parser parser;
    time_server::limit_scrape_request(parser);
    parser.eager(true);
    const auto error = put_all(parser, bytes);
    if (parsed != nullptr && parser.is_done()) {
        *parsed = parser.get();
    }
    return error;
}

std::string request_with_headers(std::size_t header_bytes) {
    std::string text = "GET /metrics HTTP/1.1\r\nHost: localhost:9100\r\n";
    for (int i = 0; text.size() < header_bytes; ++i) {
        text += "X-Padding-" + std::to_string(i) + ": " + std::string(500, 'p') + "\r\n";
    }
    return text + "\r\n";
}

TEST_CASE("limit_scrape_request: 9 KiB of headers is header_limit", "[unit][metrics][http]") {
    REQUIRE(time_server::max_scrape_header_bytes < 9 * 1024);
    scrape_request parsed;
    CHECK(parse_limited(request_with_headers(7 * 1024), &parsed) == boost::system::error_code());
    CHECK(text_of(parsed.target()) == "/metrics");
    CHECK(parse_limited(request_with_headers(9 * 1024)) == http::error::header_limit);
    // One header line too long by itself, the way a flood arrives.
    CHECK(parse_limited("GET /metrics HTTP/1.1\r\nX-Long: " + std::string(9 * 1024, 'a')) == http::error::header_limit);
}

TEST_CASE("limit_scrape_request: a 2 KiB body is body_limit", "[unit][metrics][http]") {
    REQUIRE(time_server::max_scrape_body_bytes < 2 * 1024);
    const std::string head = "POST /metrics HTTP/1.1\r\nHost: localhost:9100\r\n";
    SECTION("with Content-Length") {
        scrape_request parsed;
        CHECK(parse_limited(head + "Content-Length: 1000\r\n\r\n" + std::string(1000, 'b'), &parsed) ==
              boost::system::error_code());
        CHECK(parsed.body() == std::string(1000, 'b'));
        CHECK(parse_limited(head + "Content-Length: 2048\r\n\r\n" + std::string(2048, 'b')) == http::error::body_limit);
    }
    SECTION("chunked") {
        const auto chunked = [&](std::size_t size) {
            std::ostringstream hex;
            hex << std::hex << size;
            return head + "Transfer-Encoding: chunked\r\n\r\n" + hex.str() + "\r\n" + std::string(size, 'c') +
                   "\r\n0\r\n\r\n";
        };
        CHECK(parse_limited(chunked(1000)) == boost::system::error_code());
        CHECK(parse_limited(chunked(2048)) == http::error::body_limit);
    }
}

}  // namespace
