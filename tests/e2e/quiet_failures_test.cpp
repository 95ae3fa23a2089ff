// quiet_failures_test.cpp - the failures that used to pass without a word:
// a listening socket that keeps failing, a PROXY header's deadline cut short
// by the idle timeout, a reset after a bad PROXY header, a refusal that
// lingered for a client with nothing to send.
#include "running_server.hpp"
#include "wait.hpp"

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <thread>

namespace {

using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;
using test_support::close_kind;
using test_support::fixed_time_reply;
using test_support::running_server;
using test_support::test_config;
using time_server::session_end;

// A listening TCP socket on 127.0.0.1, as systemd would hand one over.
int listening_socket() {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd >= 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0);
    REQUIRE(::listen(fd, 16) == 0);
    return fd;
}

std::uint64_t ended(const running_server& server, session_end why) {
    return server.metrics().snapshot().sessions_ended.at(static_cast<std::size_t>(why));
}

TEST_CASE("a listening socket that keeps failing stops the server with an error line", "[e2e][quiet][accept]") {
    auto config = test_config();
    config.accept_failure_limit = 300ms;
    const int listener = listening_socket();
    config.inherited_listeners = {listener};  // the server owns and closes it
    running_server server(config);
    {
        auto client = server.connect();
        client.send("TIME\n");
        CHECK(client.read_line() == fixed_time_reply);
    }
    // shutdown(2) on a listening socket stops it listening: every accept from
    // now on fails with EINVAL, an error that retrying does not cure.
    const auto broken = steady::now();
    REQUIRE(::shutdown(listener, SHUT_RD) == 0);

    REQUIRE(server.wait_until_finished(3s));
    const auto took = steady::now() - broken;
    CHECK(took >= 300ms);
    CHECK(took < 2s);  // the limit, one back-off, and room for a busy machine
    CHECK(server.failed());
    // One warning when it starts failing, one error when the server gives up:
    // not a line per retry.
    CHECK(server.log().count_containing("Gagal menerima koneksi") == 2);
    const auto gave_up = server.log().messages_containing("Gagal menerima koneksi selama 0.3 detik");
    REQUIRE(gave_up.size() == 1);
    CHECK(server.log().count_containing("Server tidak dapat menerima koneksi lagi, server berhenti.") == 1);
    CHECK(server.metrics().snapshot().accept_errors >= 2);
}

TEST_CASE("the PROXY header has its own deadline, longer than the idle timeout", "[e2e][quiet][proxy]") {
    auto config = test_config();
    config.proxy_protocol = true;
    config.idle_timeout = 100ms;
    config.proxy_header_timeout = 700ms;
    running_server server(config);
    auto client = server.connect();
    const auto peer = client.peer_text();
    const auto connected = steady::now();
    client.send("PROXY TCP4 192.0.2.7");
    // Past the idle timeout and its sweep, the header is still awaited.
    CHECK(client.wait_closed(400ms) == close_kind::timeout);
    client.expect_closed(2s);
    const auto closed = steady::now() - connected;
    CHECK(closed >= 550ms);  // 700 ms, at most one sweep period (100 ms) early, and slack
    REQUIRE(server.log().wait_for_line("Header PROXY dari " + peer + " tidak lengkap dalam 0.7 detik", 2s));
    REQUIRE(server.wait_for_session_count(0));
    CHECK(ended(server, session_end::proxy_header) == 1);
}

TEST_CASE("once the PROXY header is complete, the idle timeout applies", "[e2e][quiet][proxy]") {
    auto config = test_config();
    config.proxy_protocol = true;
    config.idle_timeout = 200ms;
    config.proxy_header_timeout = 5s;
    running_server server(config);
    auto client = server.connect();
    client.send("PROXY TCP4 192.0.2.7 127.0.0.1 51234 45000\r\nTIME\r\n");
    CHECK(client.read_line() == fixed_time_reply);
    client.expect_closed(2s);  // the idle timeout, not the header's 5 s
    REQUIRE(server.log().wait_for_line("Koneksi dengan ('192.0.2.7', 51234) tidak aktif selama 0.2 detik", 2s));
    REQUIRE(server.wait_for_session_count(0));
    CHECK(ended(server, session_end::idle_timeout) == 1);
}

TEST_CASE("a malformed PROXY header followed by more data gets a FIN, not a reset", "[e2e][quiet][proxy]") {
    auto config = test_config();
    config.proxy_protocol = true;
    running_server server(config);
    for (int attempt = 0; attempt < 5; ++attempt) {
        INFO("attempt " << attempt);
        auto client = server.connect();
        // Far more than the header's largest size: most of it is still
        // unread when the server gives up on the header.
        client.send("GARBAGE, NOT A PROXY HEADER\r\n" + std::string(16 * 1024, 'x'));
        CHECK(client.wait_closed(2s) == close_kind::eof);
    }
    REQUIRE(server.wait_for_session_count(0));
    CHECK(server.log().count_containing("tidak valid") == 5);
    CHECK(ended(server, session_end::proxy_header) == 5);
}

TEST_CASE("a refused client that sent nothing is closed at once, not lingered", "[e2e][quiet][max_connections]") {
    auto config = test_config();
    config.max_connections = 1;
    running_server server(config);
    auto admitted = server.connect();
    REQUIRE(server.wait_for_session_count(1));
    for (int attempt = 0; attempt < 3; ++attempt) {
        INFO("attempt " << attempt);
        auto refused = server.connect();
        CHECK(refused.read_until_eof() == "ERROR: Server sedang penuh.\r\n");
        // The server has closed its socket: what the client sends now meets a
        // reset, and the send after it fails. A lingering server would read
        // and drop both for half a second.
        CHECK(refused.send_some("TIME\r\n", 100ms) == 6);
        std::this_thread::sleep_for(50ms);
        CHECK(refused.send_some("TIME\r\n", 100ms) == 0);
    }
    CHECK(server.metrics().snapshot().connections_refused == 3);
}

}  // namespace
