// network_test.cpp - the transport around the protocol: IPv6 and dual stack,
// a client that resets mid-burst, and stopping with sessions still open.
#include "running_server.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace {

using namespace std::chrono_literals;
using test_support::fixed_time_reply;
using test_support::running_server;
using test_support::test_client;
using test_support::test_config;

// The server on `address`, or nothing (with a warning) where the machine
// cannot bind it, e.g. a container without IPv6.
std::unique_ptr<running_server> try_start_on(const std::string& address) {
    auto config = test_config();
    config.bind_address = address;
    try {
        return std::make_unique<running_server>(config);
    } catch (const boost::system::system_error& e) {
        WARN("cannot listen on " << address << " (" << e.what() << "): test skipped");
        return nullptr;
    }
}

TEST_CASE("the server serves IPv6 clients on ::1", "[e2e][network]") {
    const auto server = try_start_on("::1");
    if (!server) {
        return;
    }
    auto client = server->connect();
    client.send("TIME\r\n");
    CHECK(client.read_line() == fixed_time_reply);
    const auto peer = client.peer_text();
    CHECK(peer == "('::1', " + std::to_string(client.local_port()) + ")");
    const auto messages = server->log().messages();
    CHECK(std::find(messages.begin(), messages.end(), "Menerima koneksi baru dari " + peer) != messages.end());
    CHECK(std::find(messages.begin(), messages.end(), "Mengirim waktu '21:35:10' ke " + peer) != messages.end());
}

TEST_CASE("bound to ::, the server also serves IPv4 clients, logged as plain IPv4", "[e2e][network]") {
    const auto server = try_start_on("::");
    if (!server) {
        return;
    }
    const boost::asio::ip::tcp::endpoint v4_loopback(boost::asio::ip::make_address("127.0.0.1"),
                                                     server->endpoint().port());
    if (const int error = test_client::connect_error(v4_loopback); error != 0) {
        WARN("no IPv4 through an IPv6 socket here (" << std::strerror(error) << "): test skipped");
        return;
    }
    test_client client(v4_loopback);
    client.send("TIME\n");
    CHECK(client.read_line() == fixed_time_reply);
    const auto peer = "('127.0.0.1', " + std::to_string(client.local_port()) + ")";
    REQUIRE(server->log().wait_for_line("Mengirim waktu '21:35:10' ke " + peer, 2s));
    const auto messages = server->log().messages();
    CHECK(std::find(messages.begin(), messages.end(), "Menerima koneksi baru dari " + peer) != messages.end());
    CHECK(server->log().count_containing("::ffff:") == 0);

    // And IPv6 clients on the same socket, where the loopback has IPv6.
    const boost::asio::ip::tcp::endpoint v6_loopback(boost::asio::ip::make_address("::1"), server->endpoint().port());
    if (test_client::connect_error(v6_loopback) == 0) {
        test_client v6_client(v6_loopback);
        v6_client.send("TIME\n");
        CHECK(v6_client.read_line() == fixed_time_reply);
    }
}

TEST_CASE("a client reset mid-burst ends its session quietly and others are untouched", "[e2e][network]") {
    running_server server;
    auto bystander = server.connect();
    test_client client(server.endpoint(), 4096);
    const auto peer = client.peer_text();

    // Far more requests than the socket buffers hold replies for, and never
    // read: the server ends up blocked writing to this client.
    std::string burst;
    for (int i = 0; i < 20'000; ++i) {
        burst += "TIME\n";
    }
    const auto sent = client.send_some(burst, 500ms);
    CHECK(sent > 0);
    REQUIRE(server.log().wait_for_line("Mengirim waktu '21:35:10' ke " + peer, 2s));
    const auto answered_before_reset = server.log().count_containing("Mengirim waktu '21:35:10' ke " + peer);
    client.reset();
    // The scenario itself: the server was stuck with replies still to write.
    INFO("sent " << sent / 5 << " requests, " << answered_before_reset << " answered before the reset");
    CHECK(answered_before_reset < sent / 5);

    // The session ends: its closing line, and at most one error line before it.
    REQUIRE(server.log().wait_for_line("Koneksi dengan " + peer + " telah ditutup.", 3s));
    CHECK(server.wait_for_session_count(1));
    std::size_t problems = 0;
    for (const auto& record : server.log().records()) {
        if (record.line.find(peer) != std::string::npos && record.level >= spdlog::level::warn) {
            ++problems;
            CHECK_THAT(record.line, Catch::Contains("Terjadi error pada koneksi dengan " + peer + ": "));
        }
    }
    CHECK(problems <= 1);
    CHECK(server.log().count_containing("Koneksi dengan " + peer + " telah ditutup.") == 1);
    CHECK(server.log().count_containing("pengecualian") == 0);

    // The other client never noticed.
    bystander.send("TIME\n");
    CHECK(bystander.read_line() == fixed_time_reply);
    auto newcomer = server.connect();
    newcomer.send("HELP\n");
    CHECK(newcomer.read_line() == "BANTUAN: TIME, QUIT, HELP\r\n");
}

TEST_CASE("many clients resetting at once leave the server serving", "[e2e][network]") {
    running_server server;
    for (int round = 0; round < 20; ++round) {
        auto client = server.connect();
        client.send_some("TIME\nTIME\nTIME\nTIME\n", 100ms);
        client.reset();
    }
    CHECK(server.wait_for_session_count(0));
    auto survivor = server.connect();
    survivor.send("TIME\n");
    CHECK(survivor.read_line() == fixed_time_reply);
    CHECK(server.log().count_containing("pengecualian") == 0);
}

TEST_CASE("stop() closes every open session and the threads finish within a second", "[e2e][network][shutdown]") {
    running_server server;
    std::vector<test_client> clients;
    clients.push_back(server.connect());  // has been answered, now idle
    clients.back().send("TIME\n");
    CHECK(clients.back().read_line() == fixed_time_reply);
    clients.push_back(server.connect());  // in the middle of a line
    clients.back().send("TI");
    clients.push_back(server.connect());  // has said nothing at all
    // And one that floods requests and never reads: its session is stuck
    // writing replies into full socket buffers when stop() comes.
    test_client flooder(server.endpoint(), 4096);
    std::string burst;
    for (int i = 0; i < 20'000; ++i) {
        burst += "TIME\n";
    }
    flooder.send_some(burst, 300ms);
    REQUIRE(server.wait_for_session_count(4));
    std::vector<std::string> peers;
    for (const auto& client : clients) {
        peers.push_back(client.peer_text());
    }
    peers.push_back(flooder.peer_text());

    const auto took = server.stop_and_join(2000ms);
    CHECK(took < 1000ms);
    for (auto& client : clients) {
        CHECK(client.read_until_eof(1000ms) == "");
    }
    const auto flooder_end = flooder.drain_until_closed(1000ms);
    CHECK((flooder_end == test_support::close_kind::eof || flooder_end == test_support::close_kind::reset));
    for (const auto& peer : peers) {
        INFO(peer);
        CHECK(server.log().count_containing("Koneksi dengan " + peer + " ditutup karena server berhenti.") == 1);
        CHECK(server.log().count_containing("Koneksi dengan " + peer + " telah ditutup.") == 1);
    }
    // No longer listening.
    CHECK(test_client::connect_error(server.endpoint()) == ECONNREFUSED);
}

TEST_CASE("stop() right after start with clients connecting finishes cleanly", "[e2e][network][shutdown]") {
    for (int round = 0; round < 5; ++round) {
        running_server server;
        std::vector<test_client> clients;
        for (int i = 0; i < 5; ++i) {
            clients.push_back(server.connect());
            clients.back().send("TIME\n");
        }
        const auto took = server.stop_and_join(2000ms);
        CHECK(took < 1000ms);
        for (auto& client : clients) {
            // Each got its answer or not, but every one sees the end.
            const auto how = client.wait_closed(1000ms);
            if (how == test_support::close_kind::data) {
                CHECK(client.read_line() == fixed_time_reply);
                CHECK(client.read_until_eof(1000ms) == "");
            } else {
                CHECK((how == test_support::close_kind::eof || how == test_support::close_kind::reset));
            }
        }
    }
}

}  // namespace
