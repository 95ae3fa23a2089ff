// command_line.cpp - CLI11 options, their defaults and their validation.
#include "command_line.hpp"

#include "io_backend.hpp"
#include "logging.hpp"

#include <CLI/CLI.hpp>
#include <boost/asio/ip/address.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <ostream>
#include <thread>

namespace time_server {

namespace {

constexpr int bad_usage_exit_code = 2;

// Any IPv4 or IPv6 literal that Asio can bind to.
const CLI::Validator ip_address(
    [](const std::string& text) {
        boost::system::error_code error;
        boost::asio::ip::make_address(text, error);
        return error ? "not an IPv4 or IPv6 address: " + text : std::string();
    },
    "ADDRESS");

// CLI11 converts integers with strtoull(text, 0): "010" would be octal and an
// empty value 0. Whole numbers here are plain decimal digits; this transform
// refuses anything else and drops leading zeros so that CLI11 reads decimal.
const CLI::Validator decimal_digits(
    [](std::string& text) {
        const bool digits_only = !text.empty() &&
                                 std::ranges::all_of(text, [](char c) { return c >= '0' && c <= '9'; });
        if (!digits_only) {
            return "must be a decimal number, not '" + text + "'";
        }
        text.erase(0, std::min(text.find_first_not_of('0'), text.size() - 1));
        return std::string();
    },
    "");

// A NaN passes CLI::Range (every comparison with it is false): refuse
// anything that is not a finite number before the range is checked.
const CLI::Validator finite_number(
    [](const std::string& text) {
        char* end = nullptr;
        const double value = std::strtod(text.c_str(), &end);
        const bool finite = !text.empty() && end == text.c_str() + text.size() && std::isfinite(value);
        return finite ? std::string() : "must be a number of seconds, not '" + text + "'";
    },
    "");

const CLI::Validator log_level_name(
    [](const std::string& text) {
        return parse_log_level(text) ? std::string() : "must be debug, info, warn, error or off, not " + text;
    },
    "LEVEL");

}  // namespace

std::optional<int> parse_flags(CLI::App& app, int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp&) {
        out << app.help();
        return 0;
    } catch (const CLI::CallForVersion&) {
        out << app.version() << '\n';
        return 0;
    } catch (const CLI::ParseError& e) {
        err << app.get_name() << ": " << e.what() << " (see --help)\n";
        return bad_usage_exit_code;
    }
    return std::nullopt;
}

const char* version() {
    return TIME_SERVER_VERSION;
}

std::variant<server_config, int> parse_command_line(int argc, const char* const* argv, std::ostream& out,
                                                    std::ostream& err) {
    server_config config;
    config.threads = std::max(1U, std::thread::hardware_concurrency());
    double idle_timeout_seconds = std::chrono::duration<double>(config.idle_timeout).count();
    double proxy_header_timeout_seconds = std::chrono::duration<double>(config.proxy_header_timeout).count();
    std::uint16_t metrics_port = 0;
    std::string log_level = "info";

    CLI::App app("A TCP time server: answers TIME with JAM hh:mm:ss (see docs/protocol.md).", "time_server");
    app.set_version_flag("--version", std::string("time_server ") + version() + " (" + io_backend_name() + ")");
    app.add_option("--port", config.port, "TCP port to listen on (0: any free port)")
        ->transform(decimal_digits)
        ->capture_default_str();
    app.add_option("--bind", config.bind_address, "IPv4 or IPv6 address to listen on (:: serves IPv4 too)")
        ->check(ip_address)
        ->capture_default_str();
    app.add_option("--threads", config.threads, "threads that run the io_context (default: the number of CPUs)")
        ->transform(decimal_digits)
        ->check(CLI::Range(1U, 1024U))
        ->capture_default_str();
    app.add_flag("--utc", config.utc, "answer TIME in UTC instead of the local time zone");
    app.add_option("--idle-timeout", idle_timeout_seconds,
                   "seconds without a complete line before a connection is closed (fractions allowed)")
        ->check(finite_number)
        ->check(CLI::Range(0.001, 31'536'000.0))
        ->capture_default_str();
    app.add_option("--max-line", config.max_line_bytes, "longest request line in bytes, a CR included")
        ->transform(decimal_digits)
        ->check(CLI::Range(std::size_t{1}, std::size_t{1} << 20))
        ->capture_default_str();
    app.add_option("--max-connections", config.max_connections, "sessions open at once; more are refused")
        ->transform(decimal_digits)
        ->check(CLI::Range(std::size_t{1}, std::size_t{10'000'000}))
        ->capture_default_str();
    app.add_option("--log-level", log_level, "debug, info, warn, error or off")
        ->check(log_level_name)
        ->capture_default_str();
    app.add_flag("--reuse-port", config.reuse_port, "set SO_REUSEPORT, so that several processes can serve one port");
    app.add_flag("--proxy-protocol", config.proxy_protocol,
                 "every connection starts with a PROXY protocol v1 or v2 header (HAProxy's send-proxy)");
    app.add_option("--proxy-header-timeout", proxy_header_timeout_seconds,
                   "seconds a --proxy-protocol connection has to send its header, whatever --idle-timeout says")
        ->check(finite_number)
        ->check(CLI::Range(0.001, 31'536'000.0))
        ->capture_default_str();
    app.add_option("--metrics-port", metrics_port,
                   "serve Prometheus metrics over HTTP at /metrics on this port (0: any free port; off when absent)")
        ->transform(decimal_digits);
    app.add_option("--metrics-bind", config.metrics_bind_address,
                   "IPv4 or IPv6 address the metrics endpoint listens on")
        ->check(ip_address)
        ->capture_default_str();

    if (const auto exit_code = parse_flags(app, argc, argv, out, err)) {
        return *exit_code;
    }

    config.idle_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::duration<double>(idle_timeout_seconds));
    config.proxy_header_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::duration<double>(proxy_header_timeout_seconds));
    config.log_level = *parse_log_level(log_level);
    if (app.count("--metrics-port") > 0) {
        config.metrics_port = metrics_port;
    }
    for (const char* flag : {"--port", "--bind", "--reuse-port"}) {
        if (app.count(flag) > 0) {
            config.listen_flags_given.emplace_back(flag);
        }
    }
    return config;
}

}  // namespace time_server
