// smoke_test.cpp - the built time_server binary as a user runs it: --help,
// --version, bad flags, a port in use, a real TIME, and SIGTERM/SIGINT.
#include "child_process.hpp"
#include "io_backend.hpp"
#include "log_format.hpp"
#include "smoke_helpers.hpp"
#include "test_client.hpp"

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

namespace {

using namespace std::chrono_literals;
using smoke::child_process;
using smoke::exit_timeout;
using smoke::listening_port;
using smoke::loopback;
using smoke::port_holder;
using smoke::reply_seconds;
const std::string binary = smoke::binary;
using test_support::test_client;

std::size_t count_lines(const std::string& text) {
    return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

std::vector<std::string> split_lines(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        lines.push_back(line);
    }
    return lines;
}

// The distance between two times of day, across midnight too.
int seconds_apart(int a, int b) {
    const int d = std::abs(a - b) % 86400;
    return std::min(d, 86400 - d);
}

int now_seconds_of_day(bool utc) {
    const std::time_t now = std::time(nullptr);
    std::tm fields{};
    if (utc) {
        gmtime_r(&now, &fields);
    } else {
        localtime_r(&now, &fields);
    }
    return fields.tm_hour * 3600 + fields.tm_min * 60 + fields.tm_sec;
}

TEST_CASE("the binary with --help exits 0 and lists every flag", "[smoke]") {
    child_process help(binary, {"--help"});
    const auto code = help.wait_exit(exit_timeout);
    REQUIRE(code);
    CHECK(*code == 0);
    CHECK(help.stderr_text().empty());
    for (const auto* flag : {"--help", "--version", "--port", "--bind", "--threads", "--utc", "--idle-timeout",
                             "--max-line", "--max-connections", "--log-level", "--reuse-port", "--proxy-protocol",
                             "--proxy-header-timeout", "--metrics-port", "--metrics-bind"}) {
        INFO("missing from --help: " << flag);
        CHECK(help.stdout_text().find(flag) != std::string::npos);
    }
}

TEST_CASE("the binary with --version prints the project version and exits 0", "[smoke]") {
    child_process version(binary, {"--version"});
    const auto code = version.wait_exit(exit_timeout);
    REQUIRE(code);
    CHECK(*code == 0);
    CHECK(version.stdout_text() ==
          std::string("time_server ") + TIME_SERVER_VERSION + " (" + time_server::io_backend_name() + ")\n");
    CHECK(version.stderr_text().empty());
}

TEST_CASE("a bad flag exits 2 with one line on stderr and nothing on stdout", "[smoke]") {
    const std::vector<std::vector<std::string>> bad = {
        {"--port", "x"},
        {"--port", "70000"},
        {"--threads", "0"},
        {"--log-level", "loud"},
        {"--bind", "nope"},
        {"--max-line", "0"},
        {"--nope"},
        {"--port"},
        {"--max-connections", "0"},
        {"--idle-timeout", "0"},
        {"--idle-timeout", "-3"},
        {"--proxy-header-timeout", "0"},
        {"--metrics-port", "x"},
        {"--metrics-port", "65536"},
        {"--metrics-bind", "nope"},
    };
    for (const auto& args : bad) {
        std::string shown;
        for (const auto& arg : args) {
            shown += " " + arg;
        }
        child_process run(binary, args);
        const auto code = run.wait_exit(exit_timeout);
        INFO("args:" << shown << "\nstdout: " << run.stdout_text() << "\nstderr: " << run.stderr_text());
        REQUIRE(code);
        CHECK(*code == 2);
        CHECK(run.stdout_text().empty());
        CHECK(count_lines(run.stderr_text()) == 1);
        CHECK_THAT(run.stderr_text(), Catch::EndsWith("\n"));
    }
}

// Past the descriptor limit accept() fails with EMFILE, and clients wait in
// the backlog instead of being told the server is full: said once, at start-up.
TEST_CASE("a descriptor limit below --max-connections is one warning at start-up", "[smoke]") {
    const std::string command =
        "ulimit -n 200 && exec \"$0\" --port 0 --bind 127.0.0.1 --threads 1 --max-connections \"$1\"";
    {
        child_process server("/bin/sh", {"-c", command, binary, "1000"});
        listening_port(server);
        const auto warning = server.wait_stdout_line_containing("Batas file descriptor", exit_timeout);
        INFO("stdout: " << server.stdout_text());
        REQUIRE(warning);
        CHECK_THAT(*warning, Catch::Contains("Batas file descriptor 200 lebih kecil dari --max-connections 1000"));
        CHECK_THAT(*warning, Catch::Contains("LimitNOFILE="));
        server.send_signal(SIGTERM);
        REQUIRE(server.wait_exit(exit_timeout));
        CHECK(smoke::count_occurrences(server.stdout_text(), "Batas file descriptor") == 1);
    }
    {
        child_process server("/bin/sh", {"-c", command, binary, "100"});  // 100 + the server's own fit in 200
        listening_port(server);
        server.send_signal(SIGTERM);
        REQUIRE(server.wait_exit(exit_timeout));
        CHECK(smoke::count_occurrences(server.stdout_text(), "Batas file descriptor") == 0);
    }
}

TEST_CASE("a port in use is one line on stderr and a non-zero exit", "[smoke]") {
    port_holder taken;
    const auto port = std::to_string(taken.port());
    child_process run(binary, {"--bind", "127.0.0.1", "--port", port, "--threads", "1"});
    const auto code = run.wait_exit(exit_timeout);
    INFO("stdout: " << run.stdout_text() << "\nstderr: " << run.stderr_text());
    REQUIRE(code);
    CHECK(*code != 0);
    CHECK(count_lines(run.stderr_text()) == 1);
    CHECK_THAT(run.stderr_text(), Catch::Contains(port));
    CHECK(run.stdout_text().empty());
}

// Docker's and Kubernetes' default seccomp profiles refuse io_uring. An
// io_uring build must say so on its own (not fail at its first socket with a
// bare "Operation not permitted"); an epoll build must not need io_uring.
TEST_CASE("where the kernel refuses io_uring, an io_uring build exits 1 saying why and an epoll build serves",
          "[smoke]") {
    child_process run(WITHOUT_IO_URING, {binary, "--port", "0", "--bind", "127.0.0.1", "--threads", "1"});
    if (std::string(time_server::io_backend_name()) == "io_uring") {
        const auto code = run.wait_exit(exit_timeout);
        INFO("stdout: " << run.stdout_text() << "\nstderr: " << run.stderr_text());
        REQUIRE(code);
        CHECK(*code == 1);
        CHECK(count_lines(run.stderr_text()) == 1);
        CHECK_THAT(run.stderr_text(), Catch::Contains("io_uring, which the kernel refused (Operation not permitted)"));
        CHECK_THAT(run.stderr_text(), Catch::Contains("-DTIME_SERVER_BACKEND=epoll"));
        CHECK(run.stdout_text().empty());
    } else {
        const auto port = listening_port(run);
        test_client client(loopback(port));
        client.send("TIME\n");
        reply_seconds(client.read_line());
        run.send_signal(SIGINT);
        const auto code = run.wait_exit(exit_timeout);
        REQUIRE(code);
        CHECK(*code == 0);
    }
}

TEST_CASE("the binary answers TIME and stops on SIGTERM with exit 0 within a second", "[smoke]") {
    child_process server(binary, {"--port", "0", "--bind", "127.0.0.1", "--threads", "2", "--utc"});
    const auto port = listening_port(server);

    test_client client(loopback(port));
    client.send("TIME\r\n");
    const auto reply = client.read_line();
    CHECK(seconds_apart(reply_seconds(reply), now_seconds_of_day(true)) <= 2);
    const auto peer = client.peer_text();
    // The log reaches a pipe promptly, not only at exit.
    const auto sent = server.wait_stdout_line_containing("Mengirim waktu", 1000ms);
    REQUIRE(sent);
    CHECK_THAT(*sent, Catch::EndsWith(" - Mengirim waktu '" + reply.substr(4, 8) + "' ke " + peer));

    // A session still open at the signal is closed, not waited for.
    test_client idle(loopback(port));
    idle.send("TI");
    REQUIRE(server.wait_stdout_line_containing("Menerima koneksi baru dari " + idle.peer_text(), 1500ms));

    const auto signalled = std::chrono::steady_clock::now();
    server.send_signal(SIGTERM);
    const auto code = server.wait_exit(exit_timeout);
    const auto took = std::chrono::steady_clock::now() - signalled;
    INFO("stdout:\n" << server.stdout_text() << "\nstderr:\n" << server.stderr_text());
    REQUIRE(code);
    CHECK(*code == 0);
    CHECK(took < 1s);
    CHECK(idle.read_until_eof(1s) == "");
    CHECK(client.read_until_eof(1s) == "");
    CHECK(server.stderr_text().empty());

    const auto lines = split_lines(server.stdout_text());
    REQUIRE(!lines.empty());
    for (const auto& line : lines) {
        INFO(line);
        CHECK(test_support::is_log_line(line));
    }
    CHECK_THAT(lines.back(), Catch::EndsWith(" - Server dihentikan."));
    CHECK_THAT(server.stdout_text(), Catch::Contains(" - Menerima sinyal SIGTERM"));
}

TEST_CASE("SIGINT stops the binary like SIGTERM", "[smoke]") {
    child_process server(binary, {"--port", "0", "--bind", "127.0.0.1", "--threads", "1"});
    const auto port = listening_port(server);
    test_client client(loopback(port));
    client.send("TIME\n");
    reply_seconds(client.read_line());
    server.send_signal(SIGINT);
    const auto signalled = std::chrono::steady_clock::now();
    const auto code = server.wait_exit(exit_timeout);
    REQUIRE(code);
    CHECK(*code == 0);
    CHECK(std::chrono::steady_clock::now() - signalled < 1s);
    const auto lines = split_lines(server.stdout_text());
    REQUIRE(!lines.empty());
    CHECK_THAT(lines.back(), Catch::EndsWith(" - Server dihentikan."));
    CHECK_THAT(server.stdout_text(), Catch::Contains(" - Menerima sinyal SIGINT"));
}

// Both signals are made pending while the process is stopped, so that the
// second one normally arrives while the first is being handled. On a loaded
// machine the thread running the second signal's handler can be preempted
// until the graceful stop has finished (exit 0, the second signal never seen):
// that is a correct outcome too, so the test tries up to five times and needs
// one forced exit. A server that swallows the second signal never gives one.
TEST_CASE("a second signal while stopping ends the binary at once with a non-zero code", "[smoke]") {
    bool forced = false;
    for (int attempt = 0; attempt < 5 && !forced; ++attempt) {
        child_process server(binary, {"--port", "0", "--bind", "127.0.0.1", "--threads", "2"});
        const auto port = listening_port(server);
        test_client client(loopback(port));
        client.send("TIME\n");
        reply_seconds(client.read_line());
        server.send_signal(SIGSTOP);
        server.send_signal(SIGINT);
        server.send_signal(SIGTERM);
        server.send_signal(SIGCONT);
        const auto code = server.wait_exit(exit_timeout);
        INFO("attempt " << attempt << ", stdout:\n" << server.stdout_text());
        REQUIRE(code);
        const auto& log = server.stdout_text();
        if (*code == 0) {
            // The graceful stop won the race: it must have been a whole one.
            CHECK_THAT(log, Catch::Contains(" - Server dihentikan."));
            continue;
        }
        // Either signal may be handled first; the other is the forcing one.
        const bool int_first = log.find(" - Menerima sinyal SIGINT, server berhenti...") != std::string::npos;
        const bool term_first = log.find(" - Menerima sinyal SIGTERM, server berhenti...") != std::string::npos;
        REQUIRE(int_first != term_first);
        const int second = int_first ? SIGTERM : SIGINT;
        CHECK(*code == 128 + second);
        CHECK_THAT(log, Catch::Contains(std::string(" - Menerima sinyal ") + (int_first ? "SIGTERM" : "SIGINT") +
                                        " lagi, server dihentikan paksa."));
        CHECK_THAT(log, !Catch::Contains("Server dihentikan."));
        forced = true;
    }
    CHECK(forced);
}

TEST_CASE("the local time zone comes from TZ", "[smoke]") {
    if (!std::filesystem::exists("/usr/share/zoneinfo/Asia/Jakarta")) {
        WARN("no /usr/share/zoneinfo/Asia/Jakarta: test skipped");
        return;
    }
    child_process server(binary, {"--port", "0", "--bind", "127.0.0.1", "--threads", "1"}, {"TZ=Asia/Jakarta"});
    const auto port = listening_port(server);
    test_client client(loopback(port));
    client.send("TIME\n");
    const auto seconds = reply_seconds(client.read_line());
    // Jakarta is UTC+7 all year.
    CHECK(seconds_apart(seconds, (now_seconds_of_day(true) + 7 * 3600) % 86400) <= 2);
    server.send_signal(SIGTERM);
    CHECK(server.wait_exit(exit_timeout) == std::optional<int>(0));
}

TEST_CASE("the binary with --log-level off writes nothing at all", "[smoke]") {
    // No log means no announced port: take a free one, release it, use it.
    std::uint16_t port = 0;
    {
        port_holder probe;
        port = probe.port();
    }
    child_process server(
        binary, {"--port", std::to_string(port), "--bind", "127.0.0.1", "--threads", "1", "--log-level", "off"});
    std::optional<test_client> client;
    const auto started = std::chrono::steady_clock::now();
    while (test_client::connect_error(loopback(port)) != 0) {
        REQUIRE(std::chrono::steady_clock::now() - started < exit_timeout);
        REQUIRE_FALSE(server.wait_exit(10ms));
    }
    client.emplace(loopback(port));
    client->send("TIME\nbogus\n");
    reply_seconds(client->read_line());
    CHECK(client->read_line() == "ERROR: Perintah tidak dikenal.\r\n");
    server.send_signal(SIGTERM);
    CHECK(server.wait_exit(exit_timeout) == std::optional<int>(0));
    CHECK(server.stdout_text().empty());
    CHECK(server.stderr_text().empty());
}

}  // namespace
