// loopback_target.hpp - time_bench only ever loads a server on this machine:
// the host must resolve to a loopback address (127.0.0.0/8 or ::1).
#pragma once

#include <boost/asio/ip/tcp.hpp>

#include <cstdint>
#include <string>
#include <variant>

namespace time_tools {

// The first loopback address that `host` resolves to, or why there is none.
std::variant<boost::asio::ip::tcp::endpoint, std::string> resolve_loopback(const std::string& host, std::uint16_t port);

}  // namespace time_tools
