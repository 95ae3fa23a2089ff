// server.cpp - binding, start and stop of the server.
#include "server.hpp"

#include "listener.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/post.hpp>

#include <sys/socket.h>

#include <cerrno>
#include <utility>

namespace time_server {

namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

// SO_REUSEPORT, which Asio has no name for.
using reuse_port = net::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;

control_acceptor open_acceptor(const control_executor& executor, const server_config& config) {
    const tcp::endpoint endpoint(net::ip::make_address(config.bind_address), config.port);
    control_acceptor acceptor(executor);
    acceptor.open(endpoint.protocol());
    acceptor.set_option(tcp::acceptor::reuse_address(true));
    if (config.reuse_port) {
        acceptor.set_option(reuse_port(true));
    }
    if (endpoint.address().is_v6()) {
        // "--bind ::" serves IPv4 clients too, whatever the system's default.
        acceptor.set_option(net::ip::v6_only(false));
    }
    acceptor.bind(endpoint);
    acceptor.listen(tcp::socket::max_listen_connections);
    return acceptor;
}

// A listening socket that systemd opened for us. Only a listening TCP socket
// will do: anything else is refused before the server runs.
control_acceptor adopt_acceptor(const control_executor& executor, int descriptor) {
    sockaddr_storage address{};
    socklen_t length = sizeof(address);
    int listening = 0;
    socklen_t listening_length = sizeof(listening);
    int type = 0;
    socklen_t type_length = sizeof(type);
    // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): the sockets API's own types
    if (::getsockname(descriptor, reinterpret_cast<sockaddr*>(&address), &length) != 0 ||
        ::getsockopt(descriptor, SOL_SOCKET, SO_ACCEPTCONN, &listening, &listening_length) != 0 ||
        ::getsockopt(descriptor, SOL_SOCKET, SO_TYPE, &type, &type_length) != 0) {
        throw boost::system::system_error(errno, boost::system::system_category());
    }
    if ((address.ss_family != AF_INET && address.ss_family != AF_INET6) || type != SOCK_STREAM || listening == 0) {
        throw boost::system::system_error(net::error::invalid_argument);
    }
    const auto protocol = address.ss_family == AF_INET ? tcp::v4() : tcp::v6();
    return {executor, protocol, descriptor};
}

std::vector<control_acceptor> open_acceptors(const control_executor& executor, const server_config& config) {
    std::vector<control_acceptor> acceptors;
    if (config.inherited_listeners.empty()) {
        acceptors.push_back(open_acceptor(executor, config));
    }
    for (const int descriptor : config.inherited_listeners) {
        acceptors.push_back(adopt_acceptor(executor, descriptor));
    }
    return acceptors;
}

}  // namespace

server::server(net::io_context& io, server_config config, std::shared_ptr<spdlog::logger> log, wall_clock clock)
    : config_(std::move(config)),
      log_(std::move(log)),
      clock_(std::move(clock)),
      registry_(config_.max_connections, config_.idle_timeout),
      context_{config_, *log_, clock_, registry_, metrics_},
      session_executor_(io.get_executor()),
      control_(net::make_strand(io)),
      acceptors_(open_acceptors(control_, config_)),
      sweep_timer_(control_) {}

void server::start(std::function<void()> on_stopped) {
    on_stopped_ = std::move(on_stopped);
    auto accept_failed = [this] {
        failed_ = true;
        stop();
    };
    for (auto& acceptor : acceptors_) {
        log_->info("Time server berjalan dan mendengarkan di port {}...", acceptor.local_endpoint().port());
        net::co_spawn(control_, accept_clients(acceptor, session_executor_, context_),
                      stop_when_accepting_ends{*log_, accept_failed});
    }
    net::co_spawn(control_, watch_idle_sessions(sweep_timer_, registry_, config_.idle_timeout),
                  report_unexpected_exit{*log_});
}

void server::stop() {
    net::post(control_, [this] {
        boost::system::error_code ignored;
        for (auto& acceptor : acceptors_) {
            acceptor.close(ignored);
        }
        sweep_timer_.cancel();
        registry_.close_all(on_stopped_);
    });
}

}  // namespace time_server
