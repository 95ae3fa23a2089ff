// deploy_test.cpp - the binary as a service runs it: handed its listening
// socket by systemd (socket activation, through systemd-socket-activate), and
// two processes sharing one port with --reuse-port.
#include "child_process.hpp"
#include "smoke_helpers.hpp"
#include "test_client.hpp"

#include <catch2/catch.hpp>

#include <csignal>
#include <optional>
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
    std::optional<test_client> client;
    for (int attempt = 0; attempt < 100 && !client; ++attempt) {
        if (test_client::connect_error(loopback(port)) == 0) {
            client.emplace(loopback(port));
        } else {
            std::this_thread::sleep_for(20ms);
        }
    }
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

}  // namespace
