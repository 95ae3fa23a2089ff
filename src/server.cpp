// server.cpp - binding, start and stop of the server.
#include "server.hpp"

#include "listener.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/post.hpp>

#include <utility>

namespace time_server {

namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

control_acceptor open_acceptor(const control_executor& executor, const server_config& config) {
    const tcp::endpoint endpoint(net::ip::make_address(config.bind_address), config.port);
    control_acceptor acceptor(executor);
    acceptor.open(endpoint.protocol());
    acceptor.set_option(tcp::acceptor::reuse_address(true));
    if (endpoint.address().is_v6()) {
        // "--bind ::" serves IPv4 clients too, whatever the system's default.
        acceptor.set_option(net::ip::v6_only(false));
    }
    acceptor.bind(endpoint);
    acceptor.listen(tcp::socket::max_listen_connections);
    return acceptor;
}

}  // namespace

server::server(net::io_context& io, server_config config, std::shared_ptr<spdlog::logger> log, wall_clock clock)
    : config_(std::move(config)),
      log_(std::move(log)),
      clock_(std::move(clock)),
      registry_(config_.max_connections, config_.idle_timeout),
      context_{config_, *log_, clock_, registry_},
      session_executor_(io.get_executor()),
      control_(net::make_strand(io)),
      acceptor_(open_acceptor(control_, config_)),
      sweep_timer_(control_) {}

void server::start(std::function<void()> on_stopped) {
    on_stopped_ = std::move(on_stopped);
    log_->info("Time server berjalan dan mendengarkan di port {}...", local_endpoint().port());
    auto accept_failed = [this] {
        failed_ = true;
        stop();
    };
    net::co_spawn(control_, accept_clients(acceptor_, session_executor_, context_),
                  stop_when_accepting_ends{*log_, accept_failed});
    net::co_spawn(control_, watch_idle_sessions(sweep_timer_, registry_, config_.idle_timeout),
                  report_unexpected_exit{*log_});
}

void server::stop() {
    net::post(control_, [this] {
        boost::system::error_code ignored;
        acceptor_.close(ignored);
        sweep_timer_.cancel();
        registry_.close_all(on_stopped_);
    });
}

}  // namespace time_server
