// endpoint.hpp - a TCP peer's address and port as a value, without the rest
// of Asio's TCP (its sockets and acceptors): what protocol/ may know of the
// network. It is the same type as boost::asio::ip::tcp::endpoint.
#pragma once

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/basic_endpoint.hpp>

namespace boost::asio::ip {
class tcp;
}  // namespace boost::asio::ip

namespace time_server {

using tcp_endpoint = boost::asio::ip::basic_endpoint<boost::asio::ip::tcp>;

}  // namespace time_server
