// log_text.cpp - escaping and peer formatting for log lines.
#include "log_text.hpp"

namespace time_server {

std::string describe_peer(const tcp_endpoint& peer) {
    auto address = peer.address();
    if (address.is_v6() && address.to_v6().is_v4_mapped()) {
        address = boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, address.to_v6());
    }
    return fmt::format("('{}', {})", address.to_string(), peer.port());
}

}  // namespace time_server
