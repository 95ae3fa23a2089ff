// listener.hpp - the accept loop, the coroutine that runs for the server's
// whole life and spawns a session for every client.
#pragma once

#include "server_context.hpp"
#include "session_socket.hpp"

#include <exception>
#include <functional>

namespace time_server {

// How the accept loop ended: server::stop() closed the acceptor, or the
// listening socket kept failing for config.accept_failure_limit.
enum class accept_end { stopped, failed };

// Accepts clients until the acceptor is closed and spawns a session (or a
// refusal) for each, on `sessions`: the io_context's executor.
control_task<accept_end> accept_clients(control_acceptor& acceptor, session_executor sessions, server_context& ctx);

// The completion handler of every session's co_spawn: a coroutine that ends by
// an exception is logged, never silently dropped (as `detached` would).
struct report_unexpected_exit {
    spdlog::logger& log;
    void operator()(const std::exception_ptr& failure) const;
};

// The completion handler of the accept loop's co_spawn. The loop normally
// ends when server::stop() closes the acceptor; ending any other way (a
// persistent accept error, an exception) leaves a server that accepts nobody,
// so it is logged and `stop_server` runs.
struct stop_when_accepting_ends {
    spdlog::logger& log;
    std::function<void()> stop_server;
    void operator()(const std::exception_ptr& failure, accept_end end) const;
};

}  // namespace time_server
