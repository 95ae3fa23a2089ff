// first_server_test.cpp - examples/first_server.cpp as a user runs it: the built
// binary started on port 0, real loopback sockets, docs/protocol.md's contract
// for TIME, QUIT, unknown commands, framing and signals. The example links
// nothing of src/, and neither does its test (only the smoke tests' child_process).
#include "child_process.hpp"

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

// Every wait has a deadline: a broken server fails a test, it never hangs it.
constexpr auto io_timeout = 2s;
// How long "nothing arrives" is watched for: long enough for a loopback reply.
constexpr auto quiet_period = 150ms;

constexpr std::string_view unknown_reply = "ERROR: Perintah tidak dikenal.\r\n";

bool is_time_reply(const std::string& text) {
    static const std::regex pattern(R"(^JAM ([01]\d|2[0-3]):[0-5]\d:[0-5]\d\r\n$)");
    return std::regex_match(text, pattern);
}

// `text` is exactly `count` TIME replies.
bool are_time_replies(const std::string& text, std::size_t count) {
    constexpr std::size_t reply_size = std::string_view("JAM hh:mm:ss\r\n").size();
    if (text.size() != count * reply_size) {
        return false;
    }
    for (std::size_t i = 0; i < count; ++i) {
        if (!is_time_reply(text.substr(i * reply_size, reply_size))) {
            return false;
        }
    }
    return true;
}

int ms_until(steady::time_point deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - steady::now()).count();
    return static_cast<int>(std::clamp<long long>(left, 0, 60'000));
}

// Waits until `fd` is readable (data, EOF or an error) or `deadline` passes.
bool readable(int fd, steady::time_point deadline) {
    pollfd entry{fd, POLLIN, 0};
    for (;;) {
        const int ready = ::poll(&entry, 1, ms_until(deadline));
        if (ready >= 0 || errno != EINTR) {
            return ready > 0;
        }
    }
}

// The example binary as a child process (tests/smoke/child_process.hpp: pipes,
// default signal dispositions, deadlines; killed at the end if still running).
class server_process {
public:
    explicit server_process(const std::vector<std::string>& args) : child_(FIRST_SERVER_BINARY, args) {}

    // The first stdout line (without its LF), or nothing if none comes in time.
    std::optional<std::string> first_line() {
        return child_.next_stdout_line(std::chrono::duration_cast<std::chrono::milliseconds>(io_timeout));
    }

    // Whatever the child wrote to stderr (complete once wait_exit() saw it end).
    std::string stderr_text() const { return child_.stderr_text(); }

    void send_signal(int signal_number) { child_.send_signal(signal_number); }

    // The exit code (128 + the signal's number if a signal ended it), or
    // nothing if the child is still running after `timeout`.
    std::optional<int> wait_exit(std::chrono::milliseconds timeout) { return child_.wait_exit(timeout); }

private:
    smoke::child_process child_;
};

// `first_server 0`, up and listening: its first stdout line names the port.
class running_example {
public:
    running_example() : process_({"0"}) {
        const auto line = process_.first_line();
        REQUIRE(line);
        static const std::regex start_line(R"(^Time server berjalan dan mendengarkan di port (\d+)\.\.\.$)");
        std::smatch match;
        REQUIRE(std::regex_match(*line, match, start_line));
        port_ = static_cast<std::uint16_t>(std::stoi(match[1]));
        REQUIRE(port_ != 0);
    }

    std::uint16_t port() const { return port_; }
    server_process& process() { return process_; }

private:
    server_process process_;
    std::uint16_t port_ = 0;
};

// What a read with a deadline saw: the bytes, and whether the server closed
// the connection (EOF) after them.
struct received {
    std::string text;
    bool eof = false;
};

// A blocking loopback client; every read waits at most io_timeout.
class client {
public:
    explicit client(std::uint16_t port) : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
        REQUIRE(fd_ >= 0);
        // Each send() leaves at once, so that two sends are two segments.
        const int on = 1;
        ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(port);
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(::connect(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0);
    }
    ~client() { ::close(fd_); }

    client(const client&) = delete;
    client& operator=(const client&) = delete;

    void send(std::string_view bytes) {
        while (!bytes.empty()) {
            // MSG_NOSIGNAL: a server that closed early fails the test, not SIGPIPE.
            const auto n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
            REQUIRE(n > 0);
            bytes.remove_prefix(static_cast<std::size_t>(n));
        }
    }

    // "The client shuts down its sending side": the server sees end of stream.
    void shutdown_write() { REQUIRE(::shutdown(fd_, SHUT_WR) == 0); }

    // The next line, CRLF included; nothing if no complete line comes in time.
    std::optional<std::string> read_line() {
        const auto deadline = steady::now() + io_timeout;
        while (buffer_.find('\n') == std::string::npos) {
            if (!read_some(deadline)) {
                return std::nullopt;
            }
        }
        const auto end = buffer_.find('\n') + 1;
        std::string line = buffer_.substr(0, end);
        buffer_.erase(0, end);
        return line;
    }

    // Everything up to EOF, or up to `timeout` if the server keeps it open.
    received read_until_eof(std::chrono::milliseconds timeout = io_timeout) {
        const auto deadline = steady::now() + timeout;
        while (read_some(deadline)) {
        }
        received result{buffer_, eof_};
        buffer_.clear();
        return result;
    }

    // True if no byte arrives (and the connection stays open) for `period`.
    bool quiet_for(std::chrono::milliseconds period) {
        const auto before = read_until_eof(period);
        buffer_ = before.text;
        return before.text.empty() && !before.eof;
    }

private:
    // Reads what is there into buffer_; false at EOF, on an error or at the deadline.
    bool read_some(steady::time_point deadline) {
        if (eof_ || !readable(fd_, deadline)) {
            return false;
        }
        std::array<char, 1024> chunk{};
        const auto n = ::recv(fd_, chunk.data(), chunk.size(), 0);
        if (n > 0) {
            buffer_.append(chunk.data(), static_cast<std::size_t>(n));
            return true;
        }
        eof_ = n == 0;  // a reset (n < 0) is no orderly close: eof stays false
        if (n < 0) {
            FAIL_CHECK("recv: " << std::strerror(errno));
        }
        return false;
    }

    int fd_;
    std::string buffer_;
    bool eof_ = false;
};

// docs/protocol.md: SIGINT or SIGTERM stops the server, closes every session and exits 0.
void check_stops_cleanly_on(int signal_number) {
    running_example server;
    client connection(server.port());
    connection.send("TIME\r\n");  // a session is open when the signal comes
    REQUIRE(connection.read_line());
    server.process().send_signal(signal_number);
    CHECK(server.process().wait_exit(io_timeout) == 0);
    CHECK(connection.read_until_eof().eof);  // its session was closed too
}

}  // namespace

TEST_CASE("prints the bound port on its first stdout line", "[examples][first_server]") {
    running_example server;  // parses the line and REQUIREs a port
    client connection(server.port());
    connection.send("TIME\r\n");
    const auto reply = connection.read_line();
    REQUIRE(reply);
    CHECK(is_time_reply(*reply));
}

TEST_CASE("TIME is answered with JAM hh:mm:ss and the connection stays open", "[examples][first_server]") {
    running_example server;
    client connection(server.port());
    connection.send("TIME\r\n");  // telnet: CRLF
    const auto first = connection.read_line();
    REQUIRE(first);
    CHECK(is_time_reply(*first));
    connection.send("TIME\n");  // netcat: LF
    const auto second = connection.read_line();
    REQUIRE(second);
    CHECK(is_time_reply(*second));
    CHECK(connection.quiet_for(quiet_period));  // nothing more, and still open
}

TEST_CASE("pipelined requests in one write are answered in order, then QUIT closes", "[examples][first_server]") {
    running_example server;
    client connection(server.port());
    SECTION("TIME, TIME, QUIT") {
        connection.send("TIME\r\nTIME\nQUIT\r\n");
        const auto result = connection.read_until_eof();
        CHECK(result.eof);
        CHECK(are_time_replies(result.text, 2));
    }
    SECTION("what follows QUIT is ignored") {
        connection.send("TIME\r\nQUIT\r\nTIME\r\nfoo\r\n");
        const auto result = connection.read_until_eof();
        CHECK(result.eof);
        CHECK(are_time_replies(result.text, 1));
    }
}

TEST_CASE("a line split across two writes is answered once, when complete", "[examples][first_server]") {
    running_example server;
    client connection(server.port());
    connection.send("TI");
    CHECK(connection.quiet_for(quiet_period));  // half a line: no answer yet
    connection.send("ME\r\n");
    const auto reply = connection.read_line();
    REQUIRE(reply);
    CHECK(is_time_reply(*reply));
    CHECK(connection.quiet_for(quiet_period));
}

TEST_CASE("a client with half a line does not hold up another client", "[examples][first_server]") {
    running_example server;
    client slow(server.port());
    slow.send("TI");
    client other(server.port());
    other.send("TIME\r\n");
    const auto reply = other.read_line();
    REQUIRE(reply);
    CHECK(is_time_reply(*reply));
}

TEST_CASE("an unknown command gets the ERROR line and the connection stays open", "[examples][first_server]") {
    running_example server;
    client connection(server.port());
    for (const auto* request : {"HELLO\r\n", "TIME now\r\n", "TIME\r\r\n", "TIMEX\n"}) {
        INFO("request: " << request);
        connection.send(request);
        CHECK(connection.read_line() == std::string(unknown_reply));
    }
    connection.send("TIME\r\n");
    const auto reply = connection.read_line();
    REQUIRE(reply);
    CHECK(is_time_reply(*reply));
}

TEST_CASE("commands ignore ASCII case and spaces or tabs at either end", "[examples][first_server]") {
    running_example server;
    client connection(server.port());
    for (const auto* request : {"time\n", " TIME \r\n", "\tTiMe\t\r\n"}) {
        INFO("request: " << request);
        connection.send(request);
        const auto reply = connection.read_line();
        REQUIRE(reply);
        CHECK(is_time_reply(*reply));
    }
    connection.send(" quit\t\r\n");
    const auto result = connection.read_until_eof();
    CHECK(result.eof);
    CHECK(result.text.empty());
}

TEST_CASE("an empty line gets no reply and the connection stays open", "[examples][first_server]") {
    running_example server;
    client connection(server.port());
    connection.send("\r\n\n \t\r\n");
    CHECK(connection.quiet_for(quiet_period));
    connection.send("TIME\r\n");
    const auto reply = connection.read_line();
    REQUIRE(reply);
    CHECK(is_time_reply(*reply));
}

TEST_CASE("QUIT closes the connection without a reply", "[examples][first_server]") {
    running_example server;
    client connection(server.port());
    connection.send("QUIT\r\n");
    const auto result = connection.read_until_eof();
    CHECK(result.eof);
    CHECK(result.text.empty());
}

TEST_CASE("end of stream after an unterminated last line: it is answered, then EOF", "[examples][first_server]") {
    running_example server;
    client connection(server.port());
    const auto [request, replies] = GENERATE(table<std::string, std::size_t>({
        {"TIME", 1},
        {"TIME\r", 1},  // a trailing CR is dropped here too
        {"TIME\r\nTIME", 2},
    }));
    INFO("request: " << request);
    connection.send(request);
    connection.shutdown_write();
    const auto result = connection.read_until_eof();
    CHECK(result.eof);
    CHECK(are_time_replies(result.text, replies));
}

TEST_CASE("end of stream with no pending line closes without a reply", "[examples][first_server]") {
    running_example server;
    client connection(server.port());
    connection.shutdown_write();
    const auto result = connection.read_until_eof();
    CHECK(result.eof);
    CHECK(result.text.empty());
}

TEST_CASE("SIGTERM stops the server with exit status 0", "[examples][first_server]") {
    check_stops_cleanly_on(SIGTERM);
}

TEST_CASE("SIGINT stops the server with exit status 0", "[examples][first_server]") {
    check_stops_cleanly_on(SIGINT);
}

TEST_CASE("a bad argument prints the usage on stderr and exits 2", "[examples][first_server]") {
    const auto argument = GENERATE(as<std::string>{}, "x", "70000", "-1", "45000x", "");
    INFO("argument: '" << argument << "'");
    server_process process({argument});
    CHECK(process.wait_exit(io_timeout) == 2);
    CHECK_THAT(process.stderr_text(), Catch::Contains("usage"));
}

TEST_CASE("more than one argument prints the usage on stderr and exits 2", "[examples][first_server]") {
    server_process process({"0", "1"});
    CHECK(process.wait_exit(io_timeout) == 2);
    CHECK_THAT(process.stderr_text(), Catch::Contains("usage"));
}
