// lingering_close.cpp - FIN first, then drain what the client still sends.
#include "lingering_close.hpp"

#include <array>
#include <chrono>
#include <cstddef>

namespace time_server {

namespace {

// How long and how much a lingering close reads and drops at most.
constexpr auto linger_time = std::chrono::milliseconds(500);
constexpr std::size_t linger_max_bytes = std::size_t{64} * 1024;

}  // namespace

session_task<void> linger_before_close(session_socket& socket, session_registry::entry& membership) {
    boost::system::error_code ignored;
    socket.shutdown(session_socket::shutdown_send, ignored);
    membership.expire_within(linger_time);
    std::array<char, 512> scrap{};
    for (std::size_t drained = 0; drained < linger_max_bytes;) {
        // Suspends until the client sends more or closes, or the watchdog shuts us down.
        auto [error, bytes] = co_await socket.async_read_some(boost::asio::buffer(scrap), use_tuple);
        if (error) {
            break;
        }
        drained += bytes;
    }
}

}  // namespace time_server
