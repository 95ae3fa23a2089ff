// loopback_target.cpp - a blocking lookup at start-up, then the loopback check.
#include "loopback_target.hpp"

#include <boost/asio/io_context.hpp>

namespace time_tools {

namespace net = boost::asio;
using tcp = net::ip::tcp;

std::variant<tcp::endpoint, std::string> resolve_loopback(const std::string& host, std::uint16_t port) {
    net::io_context io;
    tcp::resolver resolver(io);
    boost::system::error_code error;
    const auto results = resolver.resolve(host, std::to_string(port), error);
    if (error) {
        return "cannot resolve " + host + ": " + error.message();
    }
    for (const auto& entry : results) {
        if (entry.endpoint().address().is_loopback()) {
            return entry.endpoint();
        }
    }
    return "refusing " + host + ": not a loopback address (benchmark traffic stays on this machine)";
}

}  // namespace time_tools
