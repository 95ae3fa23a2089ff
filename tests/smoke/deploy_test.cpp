// deploy_test.cpp - the binary as a service runs it: handed its listening
// socket by systemd (socket activation, through systemd-socket-activate), and
// two processes sharing one port with --reuse-port, and HAProxy in front of
// two --proxy-protocol servers.
#include "child_process.hpp"
#include "smoke_helpers.hpp"
#include "test_client.hpp"

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <array>
#include <csignal>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>

namespace {

using namespace std::chrono_literals;
using smoke::child_process;
using smoke::exit_timeout;
using smoke::listening_port;
using smoke::loopback;
using test_support::test_client;

// Debian's systemd package ships it; scripts/setup.sh --test installs it.
const std::string socket_activate = "/usr/bin/systemd-socket-activate";

// systemd-socket-activate listens a moment after it starts: the first client
// that connects within two seconds, or none.
std::optional<test_client> connect_when_listening(std::uint16_t port) {
    std::optional<test_client> client;
    for (int attempt = 0; attempt < 100 && !client; ++attempt) {
        if (test_client::connect_error(loopback(port)) == 0) {
            client.emplace(loopback(port));
        } else {
            std::this_thread::sleep_for(20ms);
        }
    }
    return client;
}

TEST_CASE("under systemd-socket-activate the server serves the socket it was handed", "[smoke][deploy]") {
    std::uint16_t port = 0;
    {
        const smoke::port_holder free_port;  // a port nobody uses, for systemd-socket-activate to take
        port = free_port.port();
    }
    const std::string address = "127.0.0.1:" + std::to_string(port);
    child_process server(socket_activate, {"--listen", address, smoke::binary, "--threads", "1"});

    // systemd-socket-activate listens at once and starts the server on the
    // first connection, handing it the listening socket as descriptor 3.
    auto client = connect_when_listening(port);
    INFO("stderr: " << server.stderr_text());
    REQUIRE(client);
    client->send("TIME\r\n");
    // The first log line names the port it was handed, not --port's 45000.
    CHECK(listening_port(server) == port);
    smoke::reply_seconds(client->read_line());

    server.send_signal(SIGTERM);
    const auto code = server.wait_exit(exit_timeout);
    REQUIRE(code);
    CHECK(*code == 0);
    CHECK_THAT(server.stdout_text(), Catch::Contains(" - Server dihentikan."));
}

TEST_CASE("under socket activation, --port, --bind and --reuse-port get one warning", "[smoke][deploy]") {
    std::uint16_t port = 0;
    {
        const smoke::port_holder free_port;
        port = free_port.port();
    }
    const std::string address = "127.0.0.1:" + std::to_string(port);
    child_process server(socket_activate,
                         {"--listen", address, smoke::binary, "--threads", "1", "--port", "45999", "--reuse-port"});
    auto client = connect_when_listening(port);
    INFO("stderr: " << server.stderr_text());
    REQUIRE(client);
    CHECK(listening_port(server) == port);  // served the handed socket, not 45999
    const auto warning = server.wait_stdout_line_containing("Memakai socket dari systemd", exit_timeout);
    REQUIRE(warning);
    CHECK_THAT(*warning, Catch::Contains("--port, --reuse-port diabaikan."));
    client->send("TIME\r\n");
    smoke::reply_seconds(client->read_line());

    server.send_signal(SIGTERM);
    REQUIRE(server.wait_exit(exit_timeout));
    CHECK(smoke::count_occurrences(server.stdout_text(), "Memakai socket dari systemd") == 1);
}

TEST_CASE("two --reuse-port processes share one port and both take connections", "[smoke][deploy]") {
    child_process first(smoke::binary, {"--port", "0", "--bind", "127.0.0.1", "--threads", "1", "--reuse-port"});
    const auto port = listening_port(first);
    child_process second(smoke::binary,
                         {"--port", std::to_string(port), "--bind", "127.0.0.1", "--threads", "1", "--reuse-port"});
    REQUIRE(listening_port(second) == port);

    // The kernel spreads connections by a hash of their addresses: with 64
    // of them, the chance that one process gets none is 2^-63.
    for (int i = 0; i < 64; ++i) {
        test_client client(loopback(port));
        client.send("TIME\n");
        smoke::reply_seconds(client.read_line());
    }
    CHECK(first.wait_stdout_line_containing("Mengirim waktu", 2s));
    CHECK(second.wait_stdout_line_containing("Mengirim waktu", 2s));

    for (auto* server : {&first, &second}) {
        server->send_signal(SIGTERM);
        const auto code = server->wait_exit(exit_timeout);
        REQUIRE(code);
        CHECK(*code == 0);
    }
}

TEST_CASE("without --reuse-port a second process cannot take the port", "[smoke][deploy]") {
    child_process first(smoke::binary, {"--port", "0", "--bind", "127.0.0.1", "--threads", "1", "--reuse-port"});
    const auto port = listening_port(first);
    child_process second(smoke::binary, {"--port", std::to_string(port), "--bind", "127.0.0.1", "--threads", "1"});
    const auto code = second.wait_exit(exit_timeout);
    REQUIRE(code);
    CHECK(*code == 1);
    CHECK_THAT(second.stderr_text(), Catch::Contains("cannot listen"));
    first.send_signal(SIGTERM);
    CHECK(first.wait_exit(exit_timeout) == 0);
}

// A client connection from a chosen loopback address, to see that address,
// not HAProxy's, in the servers' logs.
class client_from {
public:
    client_from(const char* source, std::uint16_t port) : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
        REQUIRE(fd_ >= 0);
        const timeval timeout{2, 0};
        ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        REQUIRE(::inet_pton(AF_INET, source, &address.sin_addr) == 1);
        REQUIRE(::bind(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0);
        address.sin_port = htons(port);
        REQUIRE(::inet_pton(AF_INET, "127.0.0.1", &address.sin_addr) == 1);
        connected_ = ::connect(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
        socklen_t length = sizeof address;
        REQUIRE(::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) == 0);
        port_ = ntohs(address.sin_port);
    }
    ~client_from() { ::close(fd_); }
    client_from(const client_from&) = delete;
    client_from& operator=(const client_from&) = delete;

    bool connected() const { return connected_; }
    std::uint16_t port() const { return port_; }

    // Sends `request` and returns what arrives until the server closes.
    std::string converse(std::string_view request) {
        REQUIRE(::send(fd_, request.data(), request.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(request.size()));
        std::string received;
        std::array<char, 256> chunk{};
        for (ssize_t n; (n = ::recv(fd_, chunk.data(), chunk.size(), 0)) > 0;) {
            received.append(chunk.data(), static_cast<std::size_t>(n));
        }
        return received;
    }

private:
    int fd_;
    bool connected_ = false;
    std::uint16_t port_ = 0;
};

std::size_t count_of(const std::string& text, const std::string& part) {
    std::size_t count = 0;
    for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) {
        ++count;
    }
    return count;
}

std::string file_text(const std::string& path) {
    std::ifstream in(path);
    REQUIRE(in);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

TEST_CASE("HAProxy with send-proxy-v2 in front of two --proxy-protocol servers: the logs name the client",
          "[smoke][deploy][haproxy]") {
    const std::vector<std::string> backend_flags = {"--port",    "0", "--bind",          "127.0.0.1",
                                                    "--threads", "1", "--proxy-protocol"};
    child_process a(smoke::binary, backend_flags);
    const auto port_a = listening_port(a);
    child_process b(smoke::binary, backend_flags);
    const auto port_b = listening_port(b);
    std::uint16_t frontend = 0;
    {
        const smoke::port_holder free_port;
        frontend = free_port.port();
    }
    child_process haproxy(
        "/usr/sbin/haproxy", {"-db", "-f", TIME_SERVER_HAPROXY_CONFIG},
        {"TIME_FRONTEND=127.0.0.1:" + std::to_string(frontend), "TIME_BACKEND_A=127.0.0.1:" + std::to_string(port_a),
         "TIME_BACKEND_B=127.0.0.1:" + std::to_string(port_b)});
    for (int attempt = 0; attempt < 100 && test_client::connect_error(loopback(frontend)) != 0; ++attempt) {
        std::this_thread::sleep_for(20ms);
    }

    // Four clients from 127.0.0.2, spread by round robin.
    std::vector<std::uint16_t> client_ports;
    for (int i = 0; i < 4; ++i) {
        client_from client("127.0.0.2", frontend);
        INFO("haproxy: " << haproxy.stdout_text() << haproxy.stderr_text());
        REQUIRE(client.connected());
        const auto replies = client.converse("TIME\r\nQUIT\r\n");
        REQUIRE(replies.size() == 14);
        smoke::reply_seconds(replies);
        client_ports.push_back(client.port());
    }
    // Their logs reach the pipes within 200 ms; read until all four are in.
    const std::string from_client = "Menerima koneksi baru dari ('127.0.0.2', ";
    const auto logged = [&] { return count_of(a.stdout_text(), from_client) + count_of(b.stdout_text(), from_client); };
    for (auto deadline = std::chrono::steady_clock::now() + 3s;
         logged() < client_ports.size() && std::chrono::steady_clock::now() < deadline;) {
        a.next_stdout_line(20ms);
        b.next_stdout_line(20ms);
    }
    int served_by_a = 0;
    int served_by_b = 0;
    for (const auto port : client_ports) {
        const std::string line = from_client + std::to_string(port) + ")";
        const bool on_a = count_of(a.stdout_text(), line) == 1;
        const bool on_b = count_of(b.stdout_text(), line) == 1;
        INFO(line << "\na:\n" << a.stdout_text() << "\nb:\n" << b.stdout_text());
        CHECK(on_a != on_b);  // exactly one server served it, and logged the client, not HAProxy
        served_by_a += on_a ? 1 : 0;
        served_by_b += on_b ? 1 : 0;
    }
    // Round robin, but HAProxy's threads each keep their own turn: both
    // serve, not necessarily two each.
    CHECK(served_by_a >= 1);
    CHECK(served_by_b >= 1);

    for (auto* process : {&haproxy, &a, &b}) {
        process->send_signal(SIGTERM);
        CHECK(process->wait_exit(exit_timeout).has_value());
    }
}

TEST_CASE("docs/deploy.md shows the HAProxy configuration the test runs, whole", "[smoke][deploy][haproxy]") {
    const auto config = file_text(TIME_SERVER_HAPROXY_CONFIG);
    const auto page = file_text(TIME_SERVER_DEPLOY_DOC);
    CHECK(page.find("```\n" + config + "```\n") != std::string::npos);
}

}  // namespace
