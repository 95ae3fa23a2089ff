// proxy_header_reader.hpp - reads the PROXY protocol header that a load
// balancer sends before a connection's data (--proxy-protocol).
#pragma once

#include "server_context.hpp"
#include "session_registry.hpp"
#include "session_socket.hpp"

#include <boost/asio/ip/tcp.hpp>

#include <optional>

namespace time_server {

// Reads the header and nothing after it. Returns the client's address as the
// header gives it (the connection's own peer for PROXY UNKNOWN and v2 LOCAL),
// or nothing when the header is missing, malformed, over the size limit or not
// complete within config.proxy_header_timeout (its own deadline, whatever the
// idle timeout): that is logged once, as a warning naming the connection's own
// peer, and the caller closes without a reply. A malformed header is followed
// by a lingering close (lingering_close.hpp) before this returns.
session_task<std::optional<boost::asio::ip::tcp::endpoint>> read_proxy_header(
    session_socket& socket, session_registry::entry& membership, boost::asio::ip::tcp::endpoint connection_peer,
    server_context& ctx);

}  // namespace time_server
