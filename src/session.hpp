// session.hpp - one client connection, from accept to close.
#pragma once

#include "server_context.hpp"
#include "session_socket.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

namespace time_server {

// Serves one admitted client until it quits, hangs up, breaks a limit or the
// server stops. Takes the socket by value: the coroutine frame owns it.
session_task<void> serve_client(session_socket socket, boost::asio::ip::tcp::endpoint peer, server_context& ctx);

// Tells a client over --max-connections that the server is full, then closes.
session_task<void> refuse_client(session_socket socket, boost::asio::ip::tcp::endpoint peer, server_context& ctx);

}  // namespace time_server
