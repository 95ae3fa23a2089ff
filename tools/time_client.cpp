// time_client.cpp - the client's one conversation, and the watchdog that
// bounds every step of it by --timeout.
//
// Everything runs on one thread: while a co_await waits for the network, that
// thread runs the other coroutine (the watchdog), and vice versa. Nothing is
// shared between threads, so no strand is needed.
#include "time_client.hpp"

#include "log_text.hpp"
#include "reply_check.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <fmt/format.h>

#include <array>
#include <exception>
#include <optional>
#include <ostream>
#include <string_view>

namespace time_tools {

namespace net = boost::asio;
using tcp = net::ip::tcp;
using boost::system::error_code;
using std::chrono::steady_clock;

namespace {

constexpr auto use_tuple = net::as_tuple(net::use_awaitable);

// The longest line the server ever sends is 34 bytes; a "line" longer than
// this without a LF cannot be a reply.
constexpr std::size_t max_reply_bytes = 256;

// How the conversation ended; `message` is the line for stderr.
struct outcome {
    client_exit code = client_exit::ok;
    std::string message;
};

// The time by which the pending step must complete. The conversation only
// ever moves it later, so the watchdog can sleep until the old value and then
// look again (the idea of Asio's timeout example, without awaitable operators).
struct deadline {
    steady_clock::time_point at;
    bool passed = false;    // the watchdog closed the socket
    bool finished = false;  // the conversation is over; the watchdog stops

    void extend(seconds_d from_now) {
        at = steady_clock::now() + std::chrono::duration_cast<steady_clock::duration>(from_now);
    }
};

// Everything one conversation uses; it outlives both coroutines.
struct conversation {
    const client_options& options;
    std::ostream& out;
    tcp::resolver resolver;
    tcp::socket socket;
    net::steady_timer watchdog_timer;
    deadline limit;
    std::string received;  // bytes read but not yet taken as a line
};

// When the deadline passes, cancels the lookup and closes the socket, so the
// pending operation fails at once with operation_aborted.
net::awaitable<void> watch_deadline(conversation& c) {
    while (!c.limit.finished) {
        if (steady_clock::now() >= c.limit.at) {
            c.limit.passed = true;
            c.resolver.cancel();
            error_code ignored;
            c.socket.close(ignored);
            co_return;
        }
        c.watchdog_timer.expires_at(c.limit.at);
        // Sleeps until the deadline as it was; meanwhile the conversation
        // runs. finish() cancels the wait when the conversation ends first.
        co_await c.watchdog_timer.async_wait(use_tuple);
    }
}

void finish(conversation& c) {
    c.limit.finished = true;
    c.watchdog_timer.cancel();
}

std::string_view command_name(time_server::command command) {
    switch (command) {
    case time_server::command::help:
        return "HELP";
    case time_server::command::quit:
        return "QUIT";
    default:
        return "TIME";
    }
}

std::string seconds_text(seconds_d seconds) {
    return fmt::format("{:g} s", seconds.count());
}

// Names an I/O error by what it means for the user; `doing` says which step failed.
outcome io_failure(const conversation& c, error_code error, std::string_view doing) {
    if (c.limit.passed) {
        return {client_exit::timed_out, fmt::format("timed out after {} {}", seconds_text(c.options.timeout), doing)};
    }
    if (error == net::error::eof || error == net::error::connection_reset || error == net::error::broken_pipe ||
        error == net::error::connection_aborted) {
        const std::string how = error == net::error::eof ? "end of stream" : error.message();
        return {client_exit::closed_early, fmt::format("the server closed the connection ({}) {}", how, doing)};
    }
    return {client_exit::failure, fmt::format("I/O error {}: {}", doing, error.message())};
}

outcome unexpected(std::string_view what, std::string_view bytes) {
    return {client_exit::unexpected_reply, fmt::format("{}: '{}'", what, time_server::client_text{bytes})};
}

net::awaitable<outcome> connect(conversation& c) {
    const auto& o = c.options;
    // Names need a lookup (run on Asio's internal resolver thread); literals
    // resolve at once.
    auto [resolve_error, endpoints] = co_await c.resolver.async_resolve(o.host, std::to_string(o.port), use_tuple);
    if (resolve_error) {
        if (c.limit.passed) {
            co_return io_failure(c, resolve_error, fmt::format("while resolving {}", o.host));
        }
        co_return outcome{client_exit::cannot_connect,
                          fmt::format("cannot resolve {}: {}", o.host, resolve_error.message())};
    }
    // Tries each address in turn until one accepts.
    auto [connect_error, endpoint] = co_await net::async_connect(c.socket, endpoints, use_tuple);
    if (connect_error) {
        if (c.limit.passed) {
            co_return io_failure(c, connect_error, fmt::format("while connecting to {} port {}", o.host, o.port));
        }
        co_return outcome{client_exit::cannot_connect,
                          fmt::format("cannot connect to {} port {}: {}", o.host, o.port, connect_error.message())};
    }
    error_code ignored;
    c.socket.set_option(tcp::no_delay(true), ignored);  // one small request at a time
    co_return outcome{};
}

// Reads one reply line and returns it without its CRLF, or how it failed.
net::awaitable<outcome> read_reply(conversation& c, std::string& line) {
    // Waits until a LF has arrived; bytes after it stay in `received`.
    auto [error, bytes] = co_await net::async_read_until(c.socket, net::dynamic_buffer(c.received, max_reply_bytes),
                                                         '\n', use_tuple);
    if (error == net::error::not_found) {
        co_return unexpected("a reply longer than any the server sends", c.received);
    }
    if (error) {
        co_return io_failure(c, error, c.received.empty() ? "while waiting for a reply" : "in the middle of a reply");
    }
    const std::string_view with_lf(c.received.data(), bytes);
    if (!with_lf.ends_with("\r\n")) {
        co_return unexpected("a reply line not ending in CRLF", with_lf);
    }
    line.assign(with_lf.substr(0, with_lf.size() - 2));
    c.received.erase(0, bytes);
    co_return outcome{};
}

bool is_expected(time_server::command command, std::string_view line) {
    if (command == time_server::command::help) {
        return line == time_server::help_reply.substr(0, time_server::help_reply.size() - 2);
    }
    return is_time_reply_line(line);
}

// After QUIT the server sends nothing and closes: end of stream, no bytes.
net::awaitable<outcome> expect_close(conversation& c) {
    std::array<char, max_reply_bytes> scrap{};
    auto [error, bytes] = co_await c.socket.async_read_some(net::buffer(scrap), use_tuple);
    if (bytes > 0) {
        co_return unexpected("a reply to QUIT, which has none", std::string_view(scrap.data(), bytes));
    }
    if (error == net::error::eof) {
        co_return outcome{};
    }
    co_return io_failure(c, error, "while waiting for the clean close that QUIT asks for");
}

net::awaitable<outcome> converse(conversation& c) {
    const auto& o = c.options;
    const outcome connected = co_await connect(c);
    if (connected.code != client_exit::ok) {
        co_return connected;
    }
    const std::string request = request_line(o.command);
    net::steady_timer pause(c.socket.get_executor());
    std::string line;
    for (unsigned i = 0; i < o.count; ++i) {
        if (i > 0 && o.interval > seconds_d::zero()) {
            c.limit.extend(o.interval + o.timeout);  // the pause itself does not count
            pause.expires_after(std::chrono::duration_cast<steady_clock::duration>(o.interval));
            co_await pause.async_wait(use_tuple);
        }
        c.limit.extend(o.timeout);
        // The request is a few bytes into an empty socket buffer: this rarely waits.
        auto [write_error, written] = co_await net::async_write(c.socket, net::buffer(request), use_tuple);
        if (write_error) {
            co_return io_failure(c, write_error, "while sending the request");
        }
        if (o.command == time_server::command::quit) {
            const outcome closed = co_await expect_close(c);
            co_return closed;
        }
        const outcome replied = co_await read_reply(c, line);
        if (replied.code != client_exit::ok) {
            co_return replied;
        }
        if (!is_expected(o.command, line)) {
            co_return unexpected(fmt::format("unexpected reply to {}", command_name(o.command)), line);
        }
        c.out << line << std::endl;  // flushed: with --interval, each line shows when it comes
    }
    co_return outcome{};
}

// Runs the conversation, and ends the watchdog when it is over.
net::awaitable<outcome> converse_then_finish(conversation& c) {
    outcome result = co_await converse(c);
    finish(c);
    co_return result;
}

// The completion handler of the conversation: keeps its outcome, or turns an
// exception that escaped it into one, so that no failure goes unreported.
struct keep_outcome {
    std::optional<outcome>& result;

    void operator()(const std::exception_ptr& failure, outcome value) const {
        if (!failure) {
            result = std::move(value);
            return;
        }
        try {
            std::rethrow_exception(failure);
        } catch (const std::exception& e) {
            result = outcome{client_exit::failure, fmt::format("internal error: {}", e.what())};
        }
    }
};

// The watchdog's completion handler: it has no result, and with use_tuple
// nothing in it throws; an escaped exception would still be reported.
struct report_watchdog_failure {
    std::optional<outcome>& result;

    void operator()(const std::exception_ptr& failure) const {
        if (failure && !result) {
            result = outcome{client_exit::failure, "internal error in the timeout watchdog"};
        }
    }
};

}  // namespace

std::string request_line(time_server::command command) {
    return std::string(command_name(command)) + "\r\n";
}

client_exit run_client(const client_options& options, std::ostream& out, std::ostream& err) {
    net::io_context io(1);
    conversation c{options, out, tcp::resolver(io), tcp::socket(io), net::steady_timer(io), {}, {}};
    c.limit.extend(options.timeout);  // for the lookup and the connect

    std::optional<outcome> result;
    net::co_spawn(io, converse_then_finish(c), keep_outcome{result});
    net::co_spawn(io, watch_deadline(c), report_watchdog_failure{result});
    io.run();

    if (!result) {
        result = outcome{client_exit::failure, "the conversation ended without a result"};
    }
    if (result->code != client_exit::ok) {
        err << "time_client: " << result->message << '\n';
    }
    return result->code;
}

}  // namespace time_tools
