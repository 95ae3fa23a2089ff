// prometheus_test.cpp - the metrics endpoint (--metrics-port) as an operator
// meets it, with the real tools: a real Prometheus scrapes the built binary and
// its HTTP API reads back the counts of a known mix of requests; promtool lints
// the exposition; raw HTTP over a socket checks 404, 405, 400, HEAD, keep-alive.
#include "child_process.hpp"
#include "smoke_helpers.hpp"
#include "test_client.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace {

using namespace std::chrono_literals;
using smoke::child_process;
using smoke::exit_timeout;
using smoke::loopback;
using test_support::test_client;
using steady = std::chrono::steady_clock;

// Debian's prometheus package installs both.
const std::string prometheus_binary = "/usr/bin/prometheus";
const std::string promtool_binary = "/usr/bin/promtool";

// Prometheus 2.42 is ready in a few seconds on a two-core machine; a sanitizer
// build of the server next to it must not make the test flaky.
constexpr auto prometheus_ready_timeout = 30s;
// Prometheus hands its targets to the scrape loop about 5 s after start-up
// (its discovery manager sends updates at most every 5 s); then scrapes come
// every 200 ms, and the counts are read back within a second.
constexpr auto scrape_deadline = 30s;
constexpr auto poll_interval = 100ms;
// Prometheus closes its storage on SIGTERM: that may take longer than a server's stop.
constexpr auto prometheus_exit_timeout = 15s;

// The server as tests 1 to 3 run it: any free TIME port, metrics on any free
// port of 127.0.0.1 (the default --metrics-bind).
const std::vector<std::string> server_flags = {"--port",    "0", "--bind",         "127.0.0.1",
                                               "--threads", "2", "--metrics-port", "0"};

// The endpoint's limit on a request line, and on the headers.
constexpr std::size_t request_limit_bytes = std::size_t{8} * 1024;

constexpr std::string_view metrics_content_type = "text/plain; version=0.0.4; charset=utf-8";

// A fresh directory under /tmp, removed with everything in it at the end:
// Prometheus's configuration and storage, never the source tree.
class temp_dir {
public:
    temp_dir() {
        std::string pattern = "/tmp/time_server_metrics_XXXXXX";
        REQUIRE(::mkdtemp(pattern.data()) != nullptr);
        path_ = pattern;
    }
    ~temp_dir() {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;

    std::string file(std::string_view name) const { return (path_ / name).string(); }

private:
    std::filesystem::path path_;
};

void write_file(const std::string& path, std::string_view text) {
    std::ofstream out(path, std::ios::binary);
    REQUIRE(out);
    out << text;
    out.close();
    REQUIRE(out);
}

bool contains(std::string_view text, std::string_view part) {
    return text.find(part) != std::string_view::npos;
}

bool starts_with(std::string_view text, std::string_view prefix) {
    return text.substr(0, prefix.size()) == prefix;
}

std::string lower(std::string_view text) {
    std::string result(text);
    std::transform(result.begin(), result.end(), result.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return result;
}

// The two ports the server logs at start-up.
struct server_ports {
    std::uint16_t time = 0;
    std::uint16_t metrics = 0;
    std::string metrics_url;  // as logged: "http://127.0.0.1:PORT/metrics"
};

std::uint16_t port_number(std::string_view digits) {
    INFO("port: " << digits);
    REQUIRE(smoke::all_digits(digits));
    REQUIRE(digits.size() <= 5);
    const auto port = std::stoi(std::string(digits));
    REQUIRE(port > 0);
    REQUIRE(port < 65536);
    return static_cast<std::uint16_t>(port);
}

// Reads the start-up lines until both the TIME port and the metrics URL are
// logged, in whichever order the server writes them.
server_ports read_ports(child_process& server) {
    constexpr std::string_view listening = "Time server berjalan dan mendengarkan di port ";
    constexpr std::string_view metrics = "Metrik Prometheus tersedia di ";
    server_ports ports;
    const auto deadline = steady::now() + exit_timeout;
    while (ports.time == 0 || ports.metrics == 0) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - steady::now());
        const auto line = server.next_stdout_line(std::max(left, 0ms));
        INFO("stdout: " << server.stdout_text() << "\nstderr: " << server.stderr_text());
        REQUIRE(line);
        const auto message = test_support::log_message(*line);
        INFO("line: " << *line);
        REQUIRE(message);
        if (starts_with(*message, listening) && message->size() > listening.size() + 3 &&
            message->substr(message->size() - 3) == "...") {
            ports.time = port_number(message->substr(listening.size(), message->size() - listening.size() - 3));
        } else if (const auto at = message->find(metrics); at != std::string_view::npos) {
            // "http://127.0.0.1:PORT/metrics", or "http://[::1]:PORT/metrics".
            const auto url = message->substr(at + metrics.size());
            REQUIRE(starts_with(url, "http://"));
            const auto path = url.find("/metrics");
            REQUIRE(path != std::string_view::npos);
            const auto authority = url.substr(0, path);
            const auto colon = authority.rfind(':');
            REQUIRE(colon != std::string_view::npos);
            ports.metrics = port_number(authority.substr(colon + 1));
            ports.metrics_url = std::string(url.substr(0, path + std::string_view("/metrics").size()));
        }
    }
    return ports;
}

// SIGTERM, and the exit code the server owes it: 0.
void stop_server(child_process& server) {
    server.send_signal(SIGTERM);
    const auto code = server.wait_exit(exit_timeout);
    INFO("stderr: " << server.stderr_text());
    REQUIRE(code);
    CHECK(*code == 0);
}

// One HTTP response as received.
struct http_response {
    int status = 0;
    std::string head;  // the status line and the headers, each ending in CRLF
    std::string body;

    // A header's value, its name matched without regard to case, its
    // surrounding spaces trimmed.
    std::optional<std::string> header(std::string_view name) const {
        const auto wanted = lower(name) + ":";
        for (std::size_t at = head.find("\r\n"); at != std::string::npos && at + 2 < head.size();) {
            const auto end = head.find("\r\n", at + 2);
            const auto line = std::string_view(head).substr(at + 2, end - at - 2);
            if (lower(line.substr(0, wanted.size())) == wanted) {
                auto value = line.substr(wanted.size());
                value.remove_prefix(std::min(value.find_first_not_of(' '), value.size()));
                value.remove_suffix(value.size() - std::min(value.find_last_not_of(' ') + 1, value.size()));
                return std::string(value);
            }
            at = end;
        }
        return std::nullopt;
    }
};

// The status code of "HTTP/1.x NNN reason"; the head is kept for the reader.
http_response parse_head(std::string head) {
    INFO("response head: " << head);
    REQUIRE(starts_with(head, "HTTP/1."));
    REQUIRE(head.size() > 12);
    const auto code = std::string_view(head).substr(9, 3);
    REQUIRE(smoke::all_digits(code));
    REQUIRE(head[12] == ' ');
    http_response response;
    response.status = std::stoi(std::string(code));
    response.head = std::move(head);
    return response;
}

// A whole response read to the server's close: the head up to its blank line,
// the rest is the body.
http_response parse_response(const std::string& raw) {
    const auto blank = raw.find("\r\n\r\n");
    INFO("response: " << raw);
    REQUIRE(blank != std::string::npos);
    auto response = parse_head(raw.substr(0, blank + 2));
    response.body = raw.substr(blank + 4);
    return response;
}

// Sends `request` on a new connection and reads until the server closes it.
http_response send_request(std::uint16_t port, std::string_view request) {
    test_client client(loopback(port));
    client.send(request);
    return parse_response(client.read_until_eof());
}

// GET with HTTP/1.0 and Connection: close, so that the body ends at EOF.
http_response http_get(std::uint16_t port, std::string_view target) {
    return send_request(port, "GET " + std::string(target) + " HTTP/1.0\r\nHost: 127.0.0.1:" + std::to_string(port) +
                                  "\r\nConnection: close\r\n\r\n");
}

// One response on a connection that stays open: the head, then a body of
// Content-Length bytes (none for a HEAD).
http_response read_kept_alive_response(test_client& client) {
    std::string head;
    for (std::string line; (line = client.read_line()) != "\r\n";) {
        head += line;
    }
    auto response = parse_head(head);
    const auto length = response.header("Content-Length");
    INFO("response head: " << response.head);
    REQUIRE(length);  // without it a kept-alive body has no end
    REQUIRE(smoke::all_digits(*length));
    response.body = client.read_exactly(std::stoul(*length));
    return response;
}

// Percent-encodes everything but RFC 3986's unreserved characters.
std::string url_encoded(std::string_view text) {
    constexpr std::string_view hex = "0123456789ABCDEF";
    std::string result;
    for (const char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        if (std::isalnum(byte) != 0 || c == '-' || c == '_' || c == '.' || c == '~') {
            result += c;
        } else {
            result += '%';
            result += hex[byte >> 4U];
            result += hex[byte & 0xfU];
        }
    }
    return result;
}

// The value of the first series of an instant query's JSON answer,
// `"value":[1700000000.123,"7"]` (no JSON library for one field).
std::optional<std::string> first_value(std::string_view json) {
    constexpr std::string_view key = "\"value\":[";
    const auto at = json.find(key);
    if (at == std::string_view::npos) {
        return std::nullopt;
    }
    const auto open = json.find(",\"", at + key.size());
    if (open == std::string_view::npos) {
        return std::nullopt;
    }
    const auto close = json.find('"', open + 2);
    if (close == std::string_view::npos) {
        return std::nullopt;
    }
    return std::string(json.substr(open + 2, close - open - 2));
}

// A number as Prometheus writes it ("7", "0.25", "1.5e+07").
std::optional<double> as_number(const std::optional<std::string>& text) {
    if (!text || text->empty()) {
        return std::nullopt;
    }
    char* end = nullptr;
    const double value = std::strtod(text->c_str(), &end);
    if (end != text->c_str() + text->size()) {
        return std::nullopt;
    }
    return value;
}

// A Prometheus started on a configuration and storage of its own, stopped
// (or killed) at the end.
class prometheus_server {
public:
    prometheus_server(const temp_dir& dir, const std::string& target) : port_(free_port()) {
        // Short intervals so that the counts arrive within a second. The
        // timeout is set because it must not exceed the interval (its default
        // is 10 s).
        write_file(dir.file("prometheus.yml"),
                   "global:\n"
                   "  scrape_interval: 200ms\n"
                   "  scrape_timeout: 200ms\n"
                   "  evaluation_interval: 200ms\n"
                   "scrape_configs:\n"
                   "  - job_name: time-server\n"
                   "    static_configs:\n"
                   "      - targets: [\"" +
                       target + "\"]\n");
        // Flags that both 2.42 (Debian 12) and 2.53 (Debian 13) take.
        process_.emplace(prometheus_binary, std::vector<std::string>{
                                                "--config.file=" + dir.file("prometheus.yml"),
                                                "--storage.tsdb.path=" + dir.file("data"),
                                                "--web.listen-address=127.0.0.1:" + std::to_string(port_),
                                            });
    }

    // Waits until GET /-/ready answers 200; Prometheus logs to stderr.
    void wait_ready() {
        const auto deadline = steady::now() + prometheus_ready_timeout;
        for (;;) {
            if (test_client::connect_error(loopback(port_)) == 0 && http_get(port_, "/-/ready").status == 200) {
                return;
            }
            // Waiting for an exit also reads its log, and sees it die early.
            const auto code = process_->wait_exit(poll_interval);
            INFO("prometheus stderr: " << process_->stderr_text());
            REQUIRE_FALSE(code);
            REQUIRE(steady::now() < deadline);
        }
    }

    // The JSON answer to an instant query.
    std::string query(std::string_view promql) {
        const auto response = http_get(port_, "/api/v1/query?query=" + url_encoded(promql));
        INFO("query " << promql << ": " << response.head << response.body);
        REQUIRE(response.status == 200);
        return response.body;
    }

    std::optional<double> value(std::string_view promql) { return as_number(first_value(query(promql))); }

    // Sleeps one poll interval, reading its log meanwhile; FAILs if it died.
    void pause() {
        const auto code = process_->wait_exit(poll_interval);
        INFO("prometheus stderr: " << process_->stderr_text());
        REQUIRE_FALSE(code);
    }

    void stop() {
        process_->send_signal(SIGTERM);
        const auto code = process_->wait_exit(prometheus_exit_timeout);
        INFO("prometheus stderr: " << process_->stderr_text());
        CHECK(code);
    }

private:
    static std::uint16_t free_port() {
        const smoke::port_holder holder;  // closed at once, for Prometheus to take
        return holder.port();
    }

    std::uint16_t port_;
    std::optional<child_process> process_;
};

// One value read back through Prometheus, and what it must be.
struct expected_value {
    std::string promql;
    double value;
};

TEST_CASE("a real Prometheus scrapes the server and reads back the counts sent", "[metrics][prometheus]") {
    const temp_dir dir;  // declared first: removed after Prometheus is gone
    child_process server(smoke::binary, [] {
        auto flags = server_flags;
        flags.insert(flags.end(), {"--max-connections", "3"});
        return flags;
    }());
    const auto ports = read_ports(server);
    CHECK(ports.metrics_url == "http://127.0.0.1:" + std::to_string(ports.metrics) + "/metrics");

    prometheus_server prometheus(dir, "127.0.0.1:" + std::to_string(ports.metrics));
    prometheus.wait_ready();

    // A known mix: 7 TIME, 2 HELP, 4 unknown, 2 QUIT over three sessions, and
    // a fourth connection refused while the three are open.
    {
        test_client a(loopback(ports.time));
        test_client b(loopback(ports.time));
        test_client c(loopback(ports.time));
        // One answered request each: all three sessions are open now.
        a.send("TIME\r\n");
        smoke::reply_seconds(a.read_line());
        b.send("time\r\n");  // case does not matter
        smoke::reply_seconds(b.read_line());
        c.send(" Time \r\n");  // nor spaces around it
        smoke::reply_seconds(c.read_line());

        test_client refused(loopback(ports.time));
        CHECK(refused.read_line() == "ERROR: Server sedang penuh.\r\n");
        refused.expect_closed();

        // a: 2 TIME, 1 HELP, 2 unknown ("TIME now" is one), QUIT.
        a.send("TIME\r\nHELP\r\nFOO\r\nTIME now\r\n");
        smoke::reply_seconds(a.read_line());
        CHECK(starts_with(a.read_line(), "BANTUAN: "));
        CHECK(a.read_line() == "ERROR: Perintah tidak dikenal.\r\n");
        CHECK(a.read_line() == "ERROR: Perintah tidak dikenal.\r\n");
        a.send("QUIT\r\n");
        a.expect_closed();

        // b: 2 TIME, 1 HELP, 1 unknown, an empty line (no request), QUIT.
        b.send("HELP\r\nTIME\r\n\r\nxyz\r\nQUIT\r\n");
        CHECK(starts_with(b.read_line(), "BANTUAN: "));
        smoke::reply_seconds(b.read_line());
        CHECK(b.read_line() == "ERROR: Perintah tidak dikenal.\r\n");
        b.expect_closed();

        // c: 3 TIME, 1 unknown, a blank line (no request), then it just closes.
        c.send("TIME\r\n \t\r\nbar\r\nTIME\r\n");
        smoke::reply_seconds(c.read_line());
        CHECK(c.read_line() == "ERROR: Perintah tidak dikenal.\r\n");
        smoke::reply_seconds(c.read_line());
        c.close();
    }

    const std::vector<expected_value> expected = {
        {R"(time_server_requests_total{command="time"})", 7},
        {R"(time_server_requests_total{command="help"})", 2},
        {R"(time_server_requests_total{command="unknown"})", 4},
        {R"(time_server_requests_total{command="quit"})", 2},
        {R"(time_server_sessions_ended_total{reason="client_closed"})", 1},
        {R"(time_server_sessions_ended_total{reason="quit"})", 2},
        {R"(time_server_sessions_ended_total{reason="idle_timeout"})", 0},
        {R"(time_server_sessions_ended_total{reason="line_too_long"})", 0},
        {R"(time_server_sessions_ended_total{reason="io_error"})", 0},
        {R"(time_server_sessions_ended_total{reason="server_stop"})", 0},
        {R"(time_server_sessions_ended_total{reason="proxy_header"})", 0},
        {"time_server_connections_accepted_total", 4},  // the refused one included
        {"time_server_connections_refused_total", 1},
        {"time_server_connections_active", 0},
        {"time_server_connections_max", 3},
        {"time_server_accept_errors_total", 0},
        {R"(up{job="time-server"})", 1},
    };
    // The sessions' last counts land a moment after their sockets close, and
    // Prometheus sees them at its next scrape: poll until every value is in.
    std::vector<std::optional<double>> actual(expected.size());
    const auto read_all = [&] {
        for (std::size_t i = 0; i < expected.size(); ++i) {
            actual[i] = prometheus.value(expected[i].promql);
        }
        return std::equal(expected.begin(), expected.end(), actual.begin(),
                          [](const expected_value& e, const std::optional<double>& a) { return a == e.value; });
    };
    for (const auto deadline = steady::now() + scrape_deadline; !read_all() && steady::now() < deadline;) {
        prometheus.pause();
    }
    for (std::size_t i = 0; i < expected.size(); ++i) {
        INFO(expected[i].promql << " = " << (actual[i] ? std::to_string(*actual[i]) : "(no series)"));
        CHECK(actual[i] == expected[i].value);
    }

    // build_info names the version and the backend that --version names.
    const auto build_info = prometheus.query(R"(time_server_build_info{job="time-server"})");
    INFO("build_info: " << build_info);
    CHECK(as_number(first_value(build_info)) == 1);
    CHECK(contains(build_info, R"("version":")" TIME_SERVER_VERSION R"(")"));
    {
        child_process version(smoke::binary, {"--version"});
        REQUIRE(version.wait_exit(exit_timeout) == 0);
        const auto backend = contains(version.stdout_text(), "(io_uring)") ? "io_uring" : "epoll";
        INFO("--version: " << version.stdout_text());
        CHECK(contains(build_info, R"("backend":")" + std::string(backend) + "\""));
    }

    // The process metrics are there, with values that make sense.
    const auto open_fds = prometheus.value("process_open_fds");
    const auto max_fds = prometheus.value("process_max_fds");
    REQUIRE(open_fds);
    REQUIRE(max_fds);
    CHECK(*open_fds >= 3);
    CHECK(*max_fds > *open_fds);
    CHECK(prometheus.value("process_resident_memory_bytes") > 0);
    CHECK(prometheus.value("process_cpu_seconds_total") >= 0);
    const auto start_time = prometheus.value("process_start_time_seconds");
    const auto now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    REQUIRE(start_time);
    CHECK(*start_time <= now);
    CHECK(*start_time > now - 120);  // started by this test

    prometheus.stop();
    stop_server(server);
}

TEST_CASE("promtool check metrics accepts the endpoint's output", "[metrics][promtool]") {
    const temp_dir dir;
    child_process server(smoke::binary, server_flags);
    const auto ports = read_ports(server);
    {
        test_client client(loopback(ports.time));
        client.send("TIME\r\nNOPE\r\nQUIT\r\n");
        smoke::reply_seconds(client.read_line());
        CHECK(client.read_line() == "ERROR: Perintah tidak dikenal.\r\n");
        client.expect_closed();
    }

    const auto response = http_get(ports.metrics, "/metrics");
    INFO("response: " << response.head << response.body);
    REQUIRE(response.status == 200);
    CHECK(response.header("Content-Type") == std::string(metrics_content_type));
    // Every documented family, with its type; every label value from the start.
    for (const auto* family :
         {"time_server_connections_accepted_total counter", "time_server_connections_refused_total counter",
          "time_server_connections_active gauge", "time_server_connections_max gauge",
          "time_server_requests_total counter", "time_server_sessions_ended_total counter",
          "time_server_accept_errors_total counter", "time_server_build_info gauge",
          "process_resident_memory_bytes gauge", "process_open_fds gauge", "process_max_fds gauge",
          "process_cpu_seconds_total counter", "process_start_time_seconds gauge"}) {
        CHECK(contains(response.body, "\n# TYPE " + std::string(family) + "\n"));
    }
    for (const auto* command : {"time", "quit", "help", "unknown"}) {
        CHECK(contains(response.body, R"(time_server_requests_total{command=")" + std::string(command) + "\"}"));
    }
    for (const auto* reason :
         {"client_closed", "quit", "idle_timeout", "line_too_long", "io_error", "server_stop", "proxy_header"}) {
        CHECK(contains(response.body, R"(time_server_sessions_ended_total{reason=")" + std::string(reason) + "\"}"));
    }

    // promtool reads the exposition on stdin; lint problems go to its
    // output and make the exit code non-zero.
    const auto scraped = dir.file("metrics.txt");
    write_file(scraped, response.body);
    child_process promtool("/bin/sh", {"-c", promtool_binary + " check metrics < '" + scraped + "'"});
    const auto code = promtool.wait_exit(10s);
    INFO("promtool stdout: " << promtool.stdout_text() << "\npromtool stderr: " << promtool.stderr_text());
    REQUIRE(code);
    CHECK(*code == 0);

    stop_server(server);
}

TEST_CASE("the metrics endpoint answers 404, 405, 400 as documented", "[metrics][http]") {
    child_process server(smoke::binary, server_flags);
    const auto ports = read_ports(server);
    const auto host = "Host: 127.0.0.1:" + std::to_string(ports.metrics) + "\r\n";

    SECTION("another path: 404") {
        const auto response = http_get(ports.metrics, "/nope");
        INFO(response.head);
        CHECK(response.status == 404);
    }

    SECTION("another method: 405, with Allow") {
        for (const auto* method : {"POST", "PUT", "DELETE"}) {
            const auto response = send_request(ports.metrics, std::string(method) + " /metrics HTTP/1.1\r\n" + host +
                                                                  "Content-Length: 0\r\nConnection: close\r\n\r\n");
            INFO(method << ": " << response.head);
            CHECK(response.status == 405);
            CHECK(response.header("Allow") == "GET, HEAD");
        }
    }

    SECTION("a malformed request: 400, then the server closes") {
        const auto response = send_request(ports.metrics, "BLAH\r\n\r\n");
        INFO(response.head);
        CHECK(response.status == 400);
    }

    SECTION("a request line over 8 KiB: 400, then the server closes") {
        const auto response = send_request(ports.metrics, "GET /" + std::string(request_limit_bytes + 1024, 'a') +
                                                              " HTTP/1.1\r\n" + host + "Connection: close\r\n\r\n");
        INFO(response.head);
        CHECK(response.status == 400);
    }

    SECTION("a 16 KiB header: 400, then the server closes") {
        const auto response = send_request(ports.metrics, "GET /metrics HTTP/1.1\r\n" + host + "X-Filler: " +
                                                              std::string(2 * request_limit_bytes, 'a') + "\r\n\r\n");
        INFO(response.head);
        CHECK(response.status == 400);
    }

    SECTION("HEAD: 200 without a body") {
        const auto response = send_request(ports.metrics,
                                           "HEAD /metrics HTTP/1.1\r\n" + host + "Connection: close\r\n\r\n");
        INFO(response.head);
        CHECK(response.status == 200);
        CHECK(response.header("Content-Type") == std::string(metrics_content_type));
        CHECK(response.body.empty());
    }

    SECTION("two GETs on one kept-alive HTTP/1.1 connection") {
        test_client client(loopback(ports.metrics));
        for (int i = 0; i < 2; ++i) {
            client.send("GET /metrics HTTP/1.1\r\n" + host + "\r\n");
            const auto response = read_kept_alive_response(client);
            INFO("GET " << i + 1 << ": " << response.head);
            CHECK(response.status == 200);
            CHECK(contains(response.body, "time_server_requests_total"));
        }
    }

    SECTION("no client address in any metric") {
        // An open session, and the scraping connection itself: their ports
        // would be the tell of an address written out.
        test_client session(loopback(ports.time));
        session.send("TIME\r\n");
        smoke::reply_seconds(session.read_line());
        test_client scraper(loopback(ports.metrics));
        scraper.send("GET /metrics HTTP/1.0\r\n" + host + "Connection: close\r\n\r\n");
        const auto response = parse_response(scraper.read_until_eof());
        INFO(response.body);
        REQUIRE(response.status == 200);
        CHECK(contains(response.body, "time_server_connections_active 1"));
        for (const auto port : {session.local_port(), scraper.local_port()}) {
            INFO("client port " << port);
            CHECK_FALSE(contains(response.body, ":" + std::to_string(port)));
        }
        CHECK_FALSE(contains(response.body, "127.0.0.1"));
        for (const auto* label : {"peer=", "address=", "client=", "remote=", "ip="}) {
            CHECK_FALSE(contains(response.body, label));
        }
    }

    stop_server(server);
}

TEST_CASE("metrics are off unless --metrics-port is given", "[metrics][off]") {
    child_process server(smoke::binary, {"--port", "0", "--bind", "127.0.0.1", "--threads", "2"});
    const auto port = smoke::listening_port(server);
    {
        test_client client(loopback(port));
        client.send("TIME\r\n");
        smoke::reply_seconds(client.read_line());
    }
    stop_server(server);  // the whole log is read by now
    INFO("stdout: " << server.stdout_text());
    CHECK_FALSE(contains(server.stdout_text(), "Metrik Prometheus"));
    CHECK_FALSE(contains(server.stdout_text(), "/metrics"));
}

}  // namespace
