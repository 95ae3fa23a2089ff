// first_server.cpp - the time server in one file, to read before src/. The contract is docs/protocol.md;
// src/ adds HELP (an unknown command here), the log, the flags, limits, idle timeouts, accept back-off.
#include <boost/asio.hpp>

#include <algorithm>
#include <charconv>
#include <ctime>
#include <exception>
#include <iostream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace net = boost::asio;
using net::ip::tcp;

// Every co_spawn's completion handler: a coroutine's exception is printed, not lost (`detached`).
void report(std::exception_ptr failure) try {
    if (failure) {
        std::rethrow_exception(failure);
    }
} catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << '\n';
}

// Appends the reply to one request line (without its LF) to `replies`; false means QUIT.
bool answer(std::string line, std::string& replies) {
    line.resize(line.size() - (line.ends_with('\r') ? 1 : 0));  // one CR: telnet sends CRLF, nc LF
    line.erase(line.find_last_not_of(" \t") + 1);               // trims spaces and tabs (npos + 1 is 0)
    line.erase(0, line.find_first_not_of(" \t"));
    std::transform(line.begin(), line.end(), line.begin(),  // and ignores ASCII case
                   [](char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; });
    if (line == "TIME") {
        const std::time_t now = std::time(nullptr);
        std::tm local{};
        localtime_r(&now, &local);  // not std::localtime: several threads may call this at once
        char text[32];
        replies.append(text, std::strftime(text, sizeof text, "JAM %H:%M:%S\r\n", &local));
    } else if (line == "QUIT") {
        return false;
    } else if (!line.empty()) {  // an empty line gets no reply
        replies += "ERROR: Perintah tidak dikenal.\r\n";
    }
    return true;
}

// One client, until QUIT (what follows it is ignored), end of stream or an error. Returning (or
// the io_context's destruction at exit) destroys the socket, which closes the connection.
net::awaitable<void> session(tcp::socket socket) {
    constexpr auto use_tuple = net::as_tuple(net::use_awaitable);  // errors as values: no exceptions
    std::string pending;  // bytes after the last LF: a line may come in several reads
    char chunk[1024];
    for (bool open = true; open;) {
        auto [error, n] = co_await socket.async_read_some(net::buffer(chunk), use_tuple);
        pending.append(chunk, n).append(error ? "\n" : "");  // at the end, an unterminated line counts
        std::string replies;  // one read may hold several lines: one write answers them all
        for (auto lf = pending.find('\n'); lf != pending.npos && open; lf = pending.find('\n')) {
            open = answer(pending.substr(0, lf), replies);
            pending.erase(0, lf + 1);
        }
        auto [write_error, written] = co_await net::async_write(socket, net::buffer(replies), use_tuple);
        open = open && !error && !write_error;
    }
}

net::awaitable<void> accept_loop(tcp::acceptor acceptor) {
    for (;;) {  // throws if accepting fails (no descriptors left, say): main() then stops
        tcp::socket socket = co_await acceptor.async_accept(net::use_awaitable);
        net::co_spawn(acceptor.get_executor(), session(std::move(socket)), report);
    }
}

int main(int argc, char* argv[]) {
    unsigned short port = 45000;
    const std::string_view arg = argc == 2 ? argv[1] : "";
    const auto [end, parse_error] = std::from_chars(arg.data(), arg.data() + arg.size(), port);
    if (argc > 2 || (argc == 2 && (parse_error != std::errc{} || end != arg.data() + arg.size()))) {
        std::cerr << "usage: " << argv[0] << " [port]   (0-65535, default 45000)\n";
        return 2;
    }
    net::io_context io;
    tcp::acceptor acceptor(io, tcp::endpoint(tcp::v4(), port));  // port 0: any free port
    std::cout << "Time server berjalan dan mendengarkan di port " << acceptor.local_endpoint().port() << "..."
              << std::endl;  // endl flushes: scripts and tests wait for this line
    net::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&io](const boost::system::error_code&, int) { io.stop(); });
    int exit_status = 0;
    net::co_spawn(io, accept_loop(std::move(acceptor)), [&](std::exception_ptr failure) {
        report(failure);
        exit_status = 1;
        io.stop();
    });
    std::vector<std::jthread> threads(std::max(2u, std::thread::hardware_concurrency()));
    for (auto& thread : threads) {
        thread = std::jthread([&io] { io.run(); });
    }
    threads.clear();  // joins them: waits until stop() has ended every run(), so exit_status is final
    return exit_status;
}
