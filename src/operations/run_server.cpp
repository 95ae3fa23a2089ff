// run_server.cpp - the process around the server: descriptor limit, log,
// threads, and SIGINT/SIGTERM.
#include "run_server.hpp"

#include "io_backend.hpp"
#include "listener.hpp"
#include "logging.hpp"
#include "open_file_limit.hpp"
#include "server.hpp"
#include "socket_activation.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <fmt/format.h>

#include <csignal>
#include <cstdlib>
#include <optional>
#include <thread>
#include <vector>

namespace time_server {

namespace net = boost::asio;

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

}  // namespace

int run_server(const server_config& command_line) {
    if (const auto problem = io_backend_unavailable()) {
        fmt::print(stderr, "time_server: {}\n", *problem);
        return 1;
    }
    raise_open_file_limit();
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

    // The signal set lives on a strand of its own: the cancel posted when the
    // server has stopped never runs beside handle_signals.
    const control_executor signal_strand = net::make_strand(io);
    signal_set signals(signal_strand, SIGINT, SIGTERM);
    net::co_spawn(signal_strand, handle_signals(signals, *time_server, *log), report_unexpected_exit{*log});

    time_server->start([&signals, signal_strand] {
        net::post(signal_strand, [&signals] {
            boost::system::error_code ignored;
            signals.cancel(ignored);
        });
    });
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
