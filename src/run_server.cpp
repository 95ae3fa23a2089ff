// run_server.cpp - the process around the server: descriptor limit, log,
// threads, and SIGINT/SIGTERM.
#include "logging.hpp"
#include "open_file_limit.hpp"
#include "server.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <fmt/format.h>

#include <csignal>
#include <optional>
#include <thread>
#include <vector>

namespace time_server {

namespace net = boost::asio;

namespace {

const char* signal_name(int signal_number) {
    return signal_number == SIGINT ? "SIGINT" : "SIGTERM";
}

}  // namespace

int run_server(const server_config& config) {
    raise_open_file_limit();
    const auto log = make_stdout_logger(config.log_level);
    net::io_context io(static_cast<int>(config.threads));

    std::optional<server> time_server;
    try {
        time_server.emplace(io, config, log);
    } catch (const boost::system::system_error& e) {
        fmt::print(stderr, "time_server: cannot listen on {} port {}: {}\n", config.bind_address, config.port,
                   e.code().message());
        return 1;
    }

    // The first SIGINT or SIGTERM stops the server; the io_context then runs
    // out of work once every session has closed, and run() returns.
    net::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](const boost::system::error_code& error, int signal_number) {
        if (!error) {
            log->info("Menerima sinyal {}, server berhenti...", signal_name(signal_number));
            time_server->stop();
        }
    });

    time_server->start();
    {
        std::vector<std::jthread> extra_threads;
        for (unsigned i = 1; i < config.threads; ++i) {
            extra_threads.emplace_back([&io] { io.run(); });
        }
        io.run();
    }  // joins the other threads
    log->info("Server dihentikan.");
    return 0;
}

}  // namespace time_server
