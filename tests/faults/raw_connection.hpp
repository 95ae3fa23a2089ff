// raw_connection.hpp - a plain loopback client socket for what test_client does
// not offer: a receive buffer set before connect, and non-blocking sends that tell errors apart.
#pragma once

#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <string_view>

namespace faults {

class raw_connection {
public:
    // Connects at once (FAILs if it cannot). A non-zero `receive_buffer` is
    // set before connecting, so the TCP window never grows past it.
    explicit raw_connection(const boost::asio::ip::tcp::endpoint& server, int receive_buffer = 0);
    ~raw_connection();
    raw_connection(raw_connection&& other) noexcept;
    raw_connection& operator=(raw_connection&&) = delete;
    raw_connection(const raw_connection&) = delete;
    raw_connection& operator=(const raw_connection&) = delete;

    // One send without waiting: the bytes the socket took (0 when it is
    // full), or -errno when the connection has failed (EPIPE, ECONNRESET).
    long send_now(std::string_view bytes);

    // Reads and drops whatever arrives until the server closes (EOF or RST).
    enum class ending { eof, reset, timeout };
    ending drain_until_closed(std::chrono::milliseconds timeout);

private:
    int fd_ = -1;
};

const char* to_string(raw_connection::ending ending);

}  // namespace faults
