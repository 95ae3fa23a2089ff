// exercise5_udp_test.cpp - exercise 5 of docs/exercises.md: TIME over UDP on
// the TCP port's number, with --udp.
#include "exercise_support.hpp"
#include "running_server.hpp"

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <string>

namespace {

using exercise_support::config_from_flags;
using test_support::fixed_time_reply;
using test_support::running_server;

constexpr std::string_view help_reply = "BANTUAN: TIME, QUIT, HELP\r\n";
constexpr std::string_view unknown_reply = "ERROR: Perintah tidak dikenal.\r\n";
constexpr std::string_view line_too_long_reply = "ERROR: Perintah terlalu panjang.\r\n";
constexpr std::string_view no_reply = "(no datagram)";

// A UDP socket connected to 127.0.0.1:port: send() a datagram, receive() the
// next one with a deadline.
class udp_client {
public:
    explicit udp_client(std::uint16_t port) : fd_(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) {
        REQUIRE(fd_ >= 0);
        sockaddr_in server{};
        server.sin_family = AF_INET;
        server.sin_port = htons(port);
        server.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(::connect(fd_, reinterpret_cast<const sockaddr*>(&server), sizeof server) == 0);
    }
    ~udp_client() { ::close(fd_); }
    udp_client(const udp_client&) = delete;
    udp_client& operator=(const udp_client&) = delete;

    void send(std::string_view datagram) const {
        REQUIRE(::send(fd_, datagram.data(), datagram.size(), 0) == static_cast<ssize_t>(datagram.size()));
    }

    // The next datagram, or no_reply after `timeout` (also when the port is
    // closed: ICMP port unreachable comes back as ECONNREFUSED).
    std::string receive(std::chrono::milliseconds timeout = test_support::default_timeout) const {
        pollfd entry{fd_, POLLIN, 0};
        if (::poll(&entry, 1, static_cast<int>(timeout.count())) != 1) {
            return std::string(no_reply);
        }
        std::array<char, 2048> buffer{};
        const auto received = ::recv(fd_, buffer.data(), buffer.size(), 0);
        if (received < 0) {
            UNSCOPED_INFO("recv: " << std::strerror(errno));
            return std::string(no_reply);
        }
        return std::string(buffer.data(), static_cast<std::size_t>(received));
    }

    // This client as the server logs it: "('127.0.0.1', 54321)".
    std::string peer_text() const {
        sockaddr_in local{};
        socklen_t size = sizeof local;
        REQUIRE(::getsockname(fd_, reinterpret_cast<sockaddr*>(&local), &size) == 0);
        return "('127.0.0.1', " + std::to_string(ntohs(local.sin_port)) + ")";
    }

private:
    int fd_;
};

TEST_CASE("exercise 5: with --udp, a datagram TIME is answered with a datagram", "[.exercise5]") {
    running_server server(config_from_flags({"--udp", "--max-line", "16"}));
    const udp_client client(server.endpoint().port());

    // One datagram is one request; the LF (and a CR before it) is optional.
    for (const auto* request : {"TIME\r\n", "TIME\n", "time", " Time \t"}) {
        INFO("request: " << request);
        client.send(request);
        CHECK(client.receive() == fixed_time_reply);
    }
    client.send("HELP\n");
    CHECK(client.receive() == help_reply);
    client.send("bogus\n");
    CHECK(client.receive() == unknown_reply);

    // QUIT and an empty datagram get no reply: the next reply is TIME's.
    client.send("QUIT\n");
    client.send("");
    client.send("TIME\n");
    CHECK(client.receive() == fixed_time_reply);

    // --max-line holds for datagrams too; a long one is refused, not cut.
    client.send(std::string(100, 'T'));
    CHECK(client.receive() == line_too_long_reply);
    client.send(std::string(15, ' ') + "\r\n");  // 16 bytes before the LF, the CR included: a line
    client.send("TIME\n");
    CHECK(client.receive() == fixed_time_reply);

    // Logged like TCP requests, with the datagram's sender as the peer.
    CHECK(server.log().wait_for_line("Mengirim waktu '21:35:10' ke " + client.peer_text(),
                                     test_support::default_timeout));

    // TCP still works on the same port number.
    auto tcp = server.connect();
    tcp.send("TIME\n");
    CHECK(tcp.read_line() == fixed_time_reply);

    // Shutdown ends the UDP loop too (stop_and_join fails the test if the
    // io_context does not run out of work), and the port is closed after.
    server.stop_and_join();
    client.send("TIME\n");
    CHECK(client.receive(std::chrono::milliseconds(300)) == no_reply);
}

TEST_CASE("exercise 5: without --udp, nothing listens on UDP", "[.exercise5]") {
    running_server server(config_from_flags({}));
    const udp_client client(server.endpoint().port());
    client.send("TIME\n");
    CHECK(client.receive(std::chrono::milliseconds(300)) == no_reply);
}

}  // namespace
