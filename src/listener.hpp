// listener.hpp - the accept loop and the idle-session watchdog, the two
// coroutines that run for the server's whole life.
#pragma once

#include "server_context.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <exception>

namespace time_server {

// Accepts clients until the acceptor is closed and spawns a session (or a
// refusal) for each, on `sessions`: the io_context's executor.
boost::asio::awaitable<void> accept_clients(boost::asio::ip::tcp::acceptor& acceptor, session_executor sessions,
                                            server_context& ctx);

// Every fraction of the idle timeout, closes the sessions that have been idle
// for longer. One timer for all sessions: reading a line costs a clock read,
// not a timer, and no coroutine is spawned per request.
boost::asio::awaitable<void> watch_idle_sessions(boost::asio::steady_timer& timer, server_context& ctx);

// The completion handler of every co_spawn: a coroutine that ends by an
// exception is logged, never silently dropped (as `detached` would).
struct report_unexpected_exit {
    spdlog::logger& log;
    void operator()(const std::exception_ptr& failure) const;
};

}  // namespace time_server
