// session_socket.hpp - the types a session is made of: its executor, its
// socket and its coroutines, all named with the concrete executor type.
//
// Asio's defaults (tcp::socket, awaitable<T>) use any_io_executor, a
// type-erased executor of 56 bytes, and a copy of the executor sits in the
// socket, in the co_spawn frame and in every pending operation of every idle
// session. io_context::executor_type is one pointer. Naming it saves about a
// tenth of what an idle connection costs (docs/performance.md).
//
// It is the io_context's executor itself, not a strand of it: a session has
// only one operation pending at a time, and the registry never touches its
// socket (session_registry.hpp), so its handlers cannot run in parallel
// anyway; Asio's documentation calls this an implicit strand.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

namespace time_server {

using session_executor = boost::asio::io_context::executor_type;

using session_socket = boost::asio::basic_stream_socket<boost::asio::ip::tcp, session_executor>;

// A coroutine that runs a session.
template <typename T>
using session_task = boost::asio::awaitable<T, session_executor>;

}  // namespace time_server
