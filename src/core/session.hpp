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

// With --proxy-protocol: reads the load balancer's PROXY header first
// (proxy_header_reader.hpp), then serves the client it names as
// serve_client() does; a missing or bad header is logged and closed.
session_task<void> serve_proxied_client(session_socket socket, boost::asio::ip::tcp::endpoint connection_peer,
                                        server_context& ctx);

// Tells a client over --max-connections that the server is full, then closes.
session_task<void> refuse_client(session_socket socket, boost::asio::ip::tcp::endpoint peer, server_context& ctx);

}  // namespace time_server
