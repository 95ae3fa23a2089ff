// session_socket.hpp - the types the server's coroutines are made of: their
// executors, sockets and timers, all named with concrete executor types, and
// the one completion token they all use.
//
// Asio's defaults (tcp::socket, awaitable<T>) use any_io_executor, a
// type-erased executor of 56 bytes, and a copy of the executor sits in the
// socket, in the co_spawn frame and in every pending operation of every idle
// session. io_context::executor_type is one pointer. Naming it saves about a
// tenth of what an idle connection costs (docs/performance.md).
//
// A session runs on the io_context's executor itself, not a strand of it: a
// session has only one operation pending at a time, and the registry never
// touches its socket (session_registry.hpp), so its handlers cannot run in
// parallel anyway; Asio's documentation calls this an implicit strand. The
// accept loop and the idle watchdog share state with server::stop(), so they
// run on one strand, the control strand.
#pragma once

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

namespace time_server {

using session_executor = boost::asio::io_context::executor_type;
using session_socket = boost::asio::basic_stream_socket<boost::asio::ip::tcp, session_executor>;

// A coroutine that runs a session.
template <typename T>
using session_task = boost::asio::awaitable<T, session_executor>;

using control_executor = boost::asio::strand<boost::asio::io_context::executor_type>;
using control_acceptor = boost::asio::basic_socket_acceptor<boost::asio::ip::tcp, control_executor>;
using control_timer =
    boost::asio::basic_waitable_timer<std::chrono::steady_clock, boost::asio::wait_traits<std::chrono::steady_clock>,
                                      control_executor>;

// A coroutine on the control strand: the accept loop, the watchdog.
template <typename T>
using control_task = boost::asio::awaitable<T, control_executor>;

// Every operation is awaited as `auto [error, ...] = co_await op(..., use_tuple);`:
// errors come back as values, so expected ones are compared by name and none
// escapes as an exception. `deferred` lets the coroutine await the operation
// itself, with no extra coroutine per operation (as use_awaitable would add).
inline constexpr auto use_tuple = boost::asio::as_tuple(boost::asio::deferred);

}  // namespace time_server
