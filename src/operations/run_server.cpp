// run_server.cpp - the process around the server: descriptor limit, log,
// threads, and SIGINT/SIGTERM.
#include "run_server.hpp"

#include "command_line.hpp"
#include "io_backend.hpp"
#include "listener.hpp"
#include "logging.hpp"
#include "metrics_endpoint.hpp"
#include "metrics_text.hpp"
#include "open_file_limit.hpp"
#include "server.hpp"
#include "socket_activation.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace time_server {

namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

using signal_set = net::basic_signal_set<control_executor>;

const char* signal_name(int signal_number) {
    return signal_number == SIGINT ? "SIGINT" : "SIGTERM";
}

// The first SIGINT or SIGTERM stops the server gracefully. A second one while
// it is stopping ends the process at once, with the shell's code for death by
// that signal (130, 143), as users of servers expect from a second Ctrl-C.
// Once every session has closed, run_server cancels the wait, so that the
// io_context runs out of work and run() returns.
control_task<void> handle_signals(signal_set& signals, server& time_server, spdlog::logger& log) {
    // Suspends until the first signal (or until the server stops by itself).
    auto [error, first] = co_await signals.async_wait(use_tuple);
    if (error) {
        co_return;
    }
    log.info("Menerima sinyal {}, server berhenti...", signal_name(first));
    time_server.stop();
    // Suspends until a second signal, or until every session has closed.
    auto [second_error, second] = co_await signals.async_wait(use_tuple);
    if (second_error) {
        co_return;
    }
    log.warn("Menerima sinyal {} lagi, server dihentikan paksa.", signal_name(second));
    log.flush();
    std::_Exit(128 + second);
}

// Descriptors the server holds besides its sessions': the standard streams,
// the reactor's, the listening sockets, the metrics endpoint and its scrapers.
constexpr std::uint64_t own_descriptors = 32;

// Once at start-up, the limits that would otherwise fail quietly later.
void warn_about_start_up(const server_config& config, std::uint64_t open_file_limit, spdlog::logger& log) {
    const std::uint64_t needed = config.max_connections + own_descriptors;
    if (open_file_limit != 0 && open_file_limit < needed) {
        // Past the limit, accept() fails with EMFILE: clients then wait in the
        // backlog instead of being told the server is full.
        log.warn(
            "Batas file descriptor {} lebih kecil dari --max-connections {} (ditambah {} untuk server "
            "sendiri); naikkan LimitNOFILE= di unit systemd atau ulimit -n, atau turunkan --max-connections.",
            open_file_limit, config.max_connections, own_descriptors);
    }
    if (!config.inherited_listeners.empty() && !config.listen_flags_given.empty()) {
        log.warn("Memakai socket dari systemd; {} diabaikan.", fmt::join(config.listen_flags_given, ", "));
    }
}

// The metrics endpoint, when --metrics-port asks for one, scraping `time_server`.
void open_metrics_endpoint(std::optional<metrics_endpoint>& endpoint, net::io_context& io, const server_config& config,
                           const server& time_server, spdlog::logger& log) {
    if (!config.metrics_port) {
        return;
    }
    const double start_time =
        std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    auto scrape = [&time_server, start_time] {
        return metrics_text({.counted = time_server.metrics().snapshot(),
                             .connections_active = time_server.session_count(),
                             .connections_max = time_server.config().max_connections,
                             .process = read_process_usage(),
                             .process_start_time_seconds = start_time,
                             .version = version(),
                             .backend = io_backend_name()});
    };
    const tcp::endpoint where(net::ip::make_address(config.metrics_bind_address), *config.metrics_port);
    endpoint.emplace(io, where, std::move(scrape), log, metrics_endpoint::limits{});
}

std::string url_host(const tcp::endpoint& endpoint) {
    const auto address = endpoint.address().to_string();
    return endpoint.address().is_v6() ? "[" + address + "]" : address;
}

}  // namespace

int run_server(const server_config& command_line) {
    if (const auto problem = io_backend_unavailable()) {
        fmt::print(stderr, "time_server: {}\n", *problem);
        return 1;
    }
    const auto open_file_limit = raise_open_file_limit();
    server_config config = command_line;
    config.inherited_listeners = take_inherited_listeners();
    const auto log = make_stdout_logger(config.log_level);
    net::io_context io(static_cast<int>(config.threads));

    std::optional<server> time_server;
    try {
        time_server.emplace(io, config, log);
    } catch (const boost::system::system_error& e) {
        if (config.inherited_listeners.empty()) {
            fmt::print(stderr, "time_server: cannot listen on {} port {}: {}\n", config.bind_address, config.port,
                       e.code().message());
        } else {
            fmt::print(stderr, "time_server: cannot serve the {} socket(s) systemd handed over: {}\n",
                       config.inherited_listeners.size(), e.code().message());
        }
        return 1;
    }

    std::optional<metrics_endpoint> metrics;
    try {
        open_metrics_endpoint(metrics, io, config, *time_server, *log);
    } catch (const boost::system::system_error& e) {
        fmt::print(stderr, "time_server: cannot serve metrics on {} port {}: {}\n", config.metrics_bind_address,
                   *config.metrics_port, e.code().message());
        return 1;
    }

    // The signal set lives on a strand of its own: the cancel posted when the
    // server has stopped never runs beside handle_signals.
    const control_executor signal_strand = net::make_strand(io);
    signal_set signals(signal_strand, SIGINT, SIGTERM);
    net::co_spawn(signal_strand, handle_signals(signals, *time_server, *log), report_unexpected_exit{*log});

    // The first log line names the port (docs/protocol.md): start() writes it.
    time_server->start([&signals, signal_strand, &metrics] {
        if (metrics) {
            metrics->stop();
        }
        net::post(signal_strand, [&signals] {
            boost::system::error_code ignored;
            signals.cancel(ignored);
        });
    });
    if (metrics) {
        metrics->start();
        log->info("Metrik Prometheus tersedia di http://{}:{}/metrics", url_host(metrics->local_endpoint()),
                  metrics->local_endpoint().port());
    }
    warn_about_start_up(config, open_file_limit, *log);
    {
        std::vector<std::jthread> extra_threads;
        for (unsigned i = 1; i < config.threads; ++i) {
            extra_threads.emplace_back([&io] { io.run(); });
        }
        io.run();
    }  // joins the other threads
    log->info("Server dihentikan.");
    return time_server->failed() ? EXIT_FAILURE : EXIT_SUCCESS;
}

}  // namespace time_server
