// test_client.hpp - a blocking POSIX-socket client for the socket-level tests.
// Every wait has a deadline: a server that never answers fails a test, never hangs it.
#pragma once

#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace test_support {

// Long enough for a sanitizer build on a busy two-core machine, short enough
// that a broken server costs seconds, not the ctest timeout.
inline constexpr std::chrono::milliseconds default_timeout{5000};

// How a wait for the end of a connection ended.
enum class close_kind { eof, reset, data, timeout };

const char* to_string(close_kind kind);

class test_client {
public:
    // Connects at once (loopback connects complete in the kernel, even before
    // the server accepts); a failure FAILs the test.
    // A non-zero `receive_buffer_bytes` sets SO_RCVBUF before connecting: a
    // client that does not read then makes the server's writes block soon.
    explicit test_client(const boost::asio::ip::tcp::endpoint& server, int receive_buffer_bytes = 0);
    test_client(std::string_view address, std::uint16_t port);

    // errno of a connect attempt (0 when it succeeds), for "is it refused?".
    static int connect_error(const boost::asio::ip::tcp::endpoint& server);

    test_client(test_client&& other) noexcept;
    test_client& operator=(test_client&& other) noexcept;
    test_client(const test_client&) = delete;
    test_client& operator=(const test_client&) = delete;
    ~test_client();

    // Sends every byte or FAILs (error, or the peer not reading for `timeout`).
    void send(std::string_view bytes, std::chrono::milliseconds timeout = default_timeout);

    // Sends what the socket takes until `timeout` or an error; never FAILs.
    // Returns the number of bytes sent.
    std::size_t send_some(std::string_view bytes, std::chrono::milliseconds timeout);

    // The next line, LF included; FAILs at EOF, reset or timeout.
    std::string read_line(std::chrono::milliseconds timeout = default_timeout);

    // Exactly `count` bytes; FAILs at EOF, reset or timeout.
    std::string read_exactly(std::size_t count, std::chrono::milliseconds timeout = default_timeout);

    // Everything until the server closes cleanly; FAILs at reset or timeout.
    std::string read_until_eof(std::chrono::milliseconds timeout = default_timeout);

    // Waits for the server to close (FIN or RST) without any more bytes
    // arriving; returns what happened, never FAILs. Bytes read are kept in
    // unread() when the answer is `data`.
    close_kind wait_closed(std::chrono::milliseconds timeout = default_timeout);

    // Reads and drops whatever arrives until the server closes (or the
    // timeout); for a client that never read its replies.
    close_kind drain_until_closed(std::chrono::milliseconds timeout = default_timeout);

    // wait_closed() that FAILs unless the connection ended (EOF or RST)
    // without sending anything.
    void expect_closed(std::chrono::milliseconds timeout = default_timeout);

    // Half-close: the server sees EOF, replies can still arrive.
    void shutdown_write();

    // Orderly close of both directions (FIN), as a client that is done.
    void close();

    // Abortive close: SO_LINGER {1, 0} makes close() send a RST at once.
    void reset();

    // Bytes received but not yet returned by a read.
    const std::string& unread() const { return pending_; }

    std::uint16_t local_port() const;

    // This client as the server logs it: "('127.0.0.1', 54321)".
    std::string peer_text() const;

private:
    enum class fill_result { data, eof, reset, timeout };

    // One recv() into pending_, waiting at most until `deadline`.
    fill_result fill(std::chrono::steady_clock::time_point deadline);

    int fd_ = -1;
    std::string pending_;
};

}  // namespace test_support
