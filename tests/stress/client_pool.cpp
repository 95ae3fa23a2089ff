// client_pool.cpp - the clients' coroutines, all on one thread, each connection
// with a deadline timer of its own so a silent server fails a client, never hangs it.
#include "client_pool.hpp"

#include "escaped.hpp"
#include "log_text.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <exception>
#include <memory>
#include <random>
#include <string_view>

namespace stress {

namespace {

namespace net = boost::asio;
using namespace net::experimental::awaitable_operators;
using namespace std::chrono_literals;
using tcp = net::ip::tcp;
using boost::system::error_code;
using steady = std::chrono::steady_clock;

constexpr auto use_tuple = net::as_tuple(net::use_awaitable);

// Every co_await here stands alone in its statement, its result in a local:
// GCC 12.2 miscompiles a co_await inside an if condition (`if (!co_await
// f())` crashes) or a `co_return a && co_await b` (b runs even when a is
// false); clang 14 gets both right.

// Enough failures to diagnose, not so many that the report drowns.
constexpr std::size_t max_kept_failures = 20;
// A client whose connections keep failing stops early instead of repeating
// the same failure for the rest of the run.
constexpr std::size_t max_failures_per_client = 3;

// docs/protocol.md's replies, written out again rather than taken from src/, so
// that a change of the server's words fails here.
constexpr std::string_view help_reply = "BANTUAN: TIME, QUIT, HELP\r\n";
constexpr std::string_view unknown_reply = "ERROR: Perintah tidak dikenal.\r\n";
constexpr std::string_view too_long_reply = "ERROR: Perintah terlalu panjang.\r\n";

enum class meaning { time, quit, help, empty, unknown };

// docs/protocol.md's matching, restated independently of src/protocol/protocol.cpp: spaces
// and tabs around the line are trimmed, the word compared ignoring ASCII case.
meaning classify(std::string_view line) {
    const auto first = line.find_first_not_of(" \t");
    if (first == std::string_view::npos) {
        return meaning::empty;
    }
    const auto word = line.substr(first, line.find_last_not_of(" \t") - first + 1);
    const auto is = [word](std::string_view upper) {
        return word.size() == upper.size() && std::equal(word.begin(), word.end(), upper.begin(), [](char a, char b) {
                   return (a >= 'a' && a <= 'z' ? static_cast<char>(a - 'a' + 'A') : a) == b;
               });
    };
    if (is("TIME")) {
        return meaning::time;
    }
    if (is("QUIT")) {
        return meaning::quit;
    }
    if (is("HELP")) {
        return meaning::help;
    }
    return meaning::unknown;
}

// The request the server sees for `text` sent with `terminator`: the CR
// right before the LF is dropped, and so is a trailing CR of an unterminated
// last line at EOF ("" terminator).
std::string_view line_as_cut(std::string_view text, std::string_view terminator) {
    if (terminator != "\r\n" && text.ends_with('\r')) {
        text.remove_suffix(1);
    }
    return text;
}

// One request line as generated: its text and how it ends.
struct piece {
    std::string text;
    std::string_view terminator;
};

// Requests to send and the exact bytes they must bring back, in order.
struct exchange {
    std::string requests;
    std::string replies;
    std::size_t reply_count = 0;
    bool quit = false;  // a QUIT was added: nothing after it is answered, EOF follows

    // Adds `text` (no LF inside) and its terminator ("" for an unterminated
    // last line); the reply follows from the line as the server cuts it.
    void add(std::string_view text, std::string_view terminator, std::string_view time_reply) {
        requests.append(text);
        requests.append(terminator);
        if (quit) {
            return;
        }
        const auto line = line_as_cut(text, terminator);
        switch (classify(line)) {
        case meaning::time:
            replies.append(time_reply);
            ++reply_count;
            break;
        case meaning::help:
            replies.append(help_reply);
            ++reply_count;
            break;
        case meaning::unknown:
            replies.append(unknown_reply);
            ++reply_count;
            break;
        case meaning::quit:
            quit = true;
            break;
        case meaning::empty:
            break;
        }
    }
};

// A client socket with a deadline: when the timer fires the socket is closed,
// so whatever the coroutine awaits fails at once.
struct connection {
    connection(const net::any_io_executor& executor, std::size_t& open_counter)
        : socket(executor), deadline(executor), open_now(open_counter) {}
    ~connection() {
        if (counted) {
            --open_now;
        }
    }
    connection(const connection&) = delete;
    connection& operator=(const connection&) = delete;

    tcp::socket socket;
    net::steady_timer deadline;
    std::size_t& open_now;
    bool counted = false;
    bool timed_out = false;
    std::size_t number = 0;  // which of its client's connections, for messages
};

std::string shown(std::string_view bytes) {
    constexpr std::size_t shown_bytes = 48;
    return "'" + test_support::escape_for_log(bytes.substr(0, shown_bytes)) + "'" +
           (bytes.size() > shown_bytes ? "..." : "");
}

struct pool_state {
    pool_state(const pool_options& opts, pool_report& out, net::io_context& context)
        : options(opts), report(out), io(context), all_arrived(context) {}

    const pool_options& options;
    pool_report& report;
    net::io_context& io;
    steady::time_point scenarios_end;
    std::size_t open_now = 0;
    std::size_t arrived = 0;
    std::size_t held_ok = 0;
    std::size_t running = 0;
    std::size_t fewest_scenarios = SIZE_MAX;  // over the clients that got past their held connection
    net::steady_timer all_arrived;            // the barrier: cancelled when the last client arrives
};

net::awaitable<void> pause(std::chrono::milliseconds time) {
    net::steady_timer timer(co_await net::this_coro::executor, time);
    co_await timer.async_wait(use_tuple);
}

class client {
public:
    client(pool_state& pool, std::size_t id)
        : pool_(pool), id_(id), random_(pool.options.seed * 0x9e3779b97f4a7c15ULL + id) {}

    net::awaitable<void> run();

private:
    using connection_ptr = std::shared_ptr<connection>;

    // Random choices, all from this client's own seeded generator.
    std::size_t uniform(std::size_t low, std::size_t high) {
        return std::uniform_int_distribution<std::size_t>(low, high)(random_);
    }
    bool chance(unsigned percent) { return uniform(1, 100) <= percent; }
    template <std::size_t n>
    std::string_view pick(const std::array<std::string_view, n>& choices) {
        return choices[uniform(0, n - 1)];
    }
    std::chrono::milliseconds milliseconds_between(std::size_t low, std::size_t high) {
        return std::chrono::milliseconds(uniform(low, high));
    }

    std::string_view terminator() { return chance(50) ? "\n" : "\r\n"; }
    piece time_piece();
    piece help_piece();
    piece empty_piece();
    piece garbage_piece();
    piece random_piece();
    void add(exchange& ex, const piece& p);
    exchange random_requests(std::size_t count);

    scenario pick_scenario();
    net::awaitable<void> run_scenario(scenario kind);
    net::awaitable<void> time_chat();
    net::awaitable<void> pipelined_burst();
    net::awaitable<void> help();
    net::awaitable<void> garbage();
    net::awaitable<void> overlong();
    net::awaitable<void> reset();
    net::awaitable<void> half_close();
    net::awaitable<void> idle_then_time();
    net::awaitable<void> slow_reader();
    net::awaitable<void> quit();
    net::awaitable<bool> hold_and_arrive(connection_ptr& held);

    // I/O with checks; each returns false after recording a failure.
    net::awaitable<connection_ptr> connect(std::chrono::milliseconds timeout);
    net::awaitable<bool> send(connection& conn, std::string_view bytes, std::string_view step);
    net::awaitable<bool> send_in_fragments(connection& conn, std::string_view bytes, std::string_view step);
    net::awaitable<bool> expect(connection& conn, std::string_view expected, std::size_t count, std::string_view step);
    net::awaitable<bool> expect_slowly(connection& conn, std::string_view expected, std::size_t count,
                                       std::string_view step);
    net::awaitable<bool> expect_eof(connection& conn, std::string_view step);
    net::awaitable<bool> round_trip(connection& conn, const exchange& ex, std::string_view step);
    static void abort_connection(connection& conn);

    void fail(const connection* conn, std::string_view step, const std::string& detail);

    pool_state& pool_;
    std::size_t id_;
    std::mt19937_64 random_;
    scenario current_ = scenario::time_chat;
    bool holding_ = true;  // the first connection, held open for the whole run
    std::size_t connections_ = 0;
    std::size_t failures_ = 0;
};

piece client::time_piece() {
    static constexpr std::array<std::string_view, 8> spellings{"TIME",  "time",   "Time",        "tImE",
                                                               " TIME", "TIME  ", "\tTIME\t \t", " \t time \t "};
    return {std::string(pick(spellings)), terminator()};
}

piece client::help_piece() {
    static constexpr std::array<std::string_view, 4> spellings{"HELP", "help", "Help", " HELP\t"};
    return {std::string(pick(spellings)), terminator()};
}

piece client::empty_piece() {
    static constexpr std::array<std::string_view, 4> blanks{"", " ", "\t", " \t "};
    return {std::string(pick(blanks)), terminator()};
}

piece client::garbage_piece() {
    using namespace std::string_view_literals;
    // Near misses of the real words and bytes docs/protocol.md singles out.
    static constexpr std::array<std::string_view, 12> near_misses{
        "TIME now"sv, "TIMES"sv, "TIM"sv,    "QUITE"sv, "HELP ME"sv, "\vTIME"sv,
        "TIME\f"sv,   "TI ME"sv, "T\0IME"sv, "JAM"sv,   "TIME\r"sv,  "\xff\xfe TIME"sv};
    const auto max_line = pool_.options.max_line_bytes;
    for (;;) {
        piece p{std::string(), terminator()};
        const auto kind = uniform(1, 100);
        if (kind <= 45) {
            p.text = pick(near_misses);
        } else if (kind <= 95) {
            // Random bytes, NUL and invalid UTF-8 included; only LF is left out.
            const auto length = uniform(1, 48);
            for (std::size_t i = 0; i < length; ++i) {
                const auto byte = static_cast<char>(uniform(0, 255));
                p.text.push_back(byte == '\n' ? '?' : byte);
            }
        } else {
            // Exactly --max-line bytes before the LF, a CR counted: still a
            // line, so an unknown command and not the too-long error.
            p.terminator = chance(50) ? "\n" : "\r\n";
            p.text.assign(p.terminator == "\n" ? max_line : max_line - 1, 'x');
        }
        // Whatever trims to a real command is drawn again; exchange::add
        // would answer it correctly, but this is meant to be garbage.
        if (classify(line_as_cut(p.text, p.terminator)) == meaning::unknown) {
            return p;
        }
    }
}

piece client::random_piece() {
    const auto kind = uniform(1, 100);
    if (kind <= 50) {
        return time_piece();
    }
    if (kind <= 65) {
        return help_piece();
    }
    return kind <= 75 ? empty_piece() : garbage_piece();
}

void client::add(exchange& ex, const piece& p) {
    ex.add(p.text, p.terminator, pool_.options.time_reply);
}

exchange client::random_requests(std::size_t count) {
    exchange ex;
    for (std::size_t i = 0; i < count; ++i) {
        add(ex, random_piece());
    }
    return ex;
}

scenario client::pick_scenario() {
    // Weights out of 100, in the order of the enum.
    static constexpr std::array<std::size_t, scenario_count> weights{14, 16, 5, 9, 8, 10, 12, 6, 8, 12};
    auto roll = uniform(1, 100);
    for (std::size_t i = 0; i < scenario_count; ++i) {
        if (roll <= weights[i]) {
            return static_cast<scenario>(i);
        }
        roll -= weights[i];
    }
    return scenario::time_chat;
}

void client::fail(const connection* conn, std::string_view step, const std::string& detail) {
    ++failures_;
    auto& report = pool_.report;
    ++report.failure_count;
    if (report.failures.size() < max_kept_failures) {
        report.failures.push_back(
            fmt::format("client {} (seed {}), {} connection #{}: {}: {}{}", id_, pool_.options.seed,
                        holding_ ? "held" : to_string(current_), conn ? conn->number : connections_, step, detail,
                        conn && conn->timed_out ? " (the connection's deadline had passed)" : ""));
    }
}

net::awaitable<client::connection_ptr> client::connect(std::chrono::milliseconds timeout) {
    auto conn = std::make_shared<connection>(pool_.io.get_executor(), pool_.open_now);
    conn->number = ++connections_;
    conn->deadline.expires_after(timeout);
    conn->deadline.async_wait([weak = std::weak_ptr<connection>(conn)](const error_code& error) {
        const auto alive = weak.lock();
        if (!error && alive) {
            alive->timed_out = true;
            error_code ignored;
            alive->socket.close(ignored);
        }
    });
    auto [error] = co_await conn->socket.async_connect(pool_.options.server, use_tuple);
    if (error) {
        fail(conn.get(), "connect", error.message());
        co_return nullptr;
    }
    // Fragments must reach the server as separate segments, not coalesced.
    error_code ignored;
    conn->socket.set_option(tcp::no_delay(true), ignored);
    conn->counted = true;
    ++pool_.open_now;
    pool_.report.peak_open = std::max(pool_.report.peak_open, pool_.open_now);
    ++pool_.report.connections;
    co_return conn;
}

net::awaitable<bool> client::send(connection& conn, std::string_view bytes, std::string_view step) {
    auto [error, sent] = co_await net::async_write(conn.socket, net::buffer(bytes.data(), bytes.size()), use_tuple);
    if (error) {
        fail(&conn, step, fmt::format("sent {} of {} bytes: {}", sent, bytes.size(), error.message()));
        co_return false;
    }
    co_return true;
}

net::awaitable<bool> client::send_in_fragments(connection& conn, std::string_view bytes, std::string_view step) {
    // Cut anywhere, mid-line and between a CR and its LF too, with short gaps
    // so that the server sees separate reads.
    std::size_t at = 0;
    for (std::size_t left = uniform(2, 5); left > 1 && at < bytes.size(); --left) {
        const auto piece = uniform(1, std::max<std::size_t>(1, (bytes.size() - at) / 2));
        const bool sent = co_await send(conn, bytes.substr(at, piece), step);
        if (!sent) {
            co_return false;
        }
        at += piece;
        co_await pause(milliseconds_between(0, 3));
    }
    const bool sent = co_await send(conn, bytes.substr(at), step);
    co_return sent;
}

net::awaitable<bool> client::expect(connection& conn, std::string_view expected, std::size_t count,
                                    std::string_view step) {
    std::string got(expected.size(), '\0');
    auto [error, received] = co_await net::async_read(conn.socket, net::buffer(got), use_tuple);
    got.resize(received);
    if (got != expected) {
        const auto differs = static_cast<std::size_t>(std::mismatch(got.begin(), got.end(), expected.begin()).first -
                                                      got.begin());
        fail(&conn, step,
             fmt::format("expected {} bytes ({} replies), got {}{}; from byte {}: expected {}, got {}", expected.size(),
                         count, received, error ? " (" + error.message() + ")" : std::string(), differs,
                         shown(expected.substr(differs)), shown(std::string_view(got).substr(differs))));
        co_return false;
    }
    pool_.report.checked_replies += count;
    co_return true;
}

net::awaitable<bool> client::expect_slowly(connection& conn, std::string_view expected, std::size_t count,
                                           std::string_view step) {
    const auto bite = uniform(256, 4096);
    for (std::size_t at = 0; at < expected.size(); at += bite) {
        const bool got = co_await expect(conn, expected.substr(at, std::min(bite, expected.size() - at)), 0, step);
        if (!got) {
            co_return false;
        }
        co_await pause(milliseconds_between(1, 3));
    }
    pool_.report.checked_replies += count;
    co_return true;
}

net::awaitable<bool> client::expect_eof(connection& conn, std::string_view step) {
    std::array<char, 256> scrap;
    auto [error, received] = co_await conn.socket.async_read_some(net::buffer(scrap), use_tuple);
    if (received > 0) {
        fail(&conn, step, "bytes where EOF was due: " + shown(std::string_view(scrap.data(), received)));
        co_return false;
    }
    if (error != net::error::eof) {
        fail(&conn, step, "expected EOF, got: " + error.message());
        co_return false;
    }
    co_return true;
}

net::awaitable<bool> client::round_trip(connection& conn, const exchange& ex, std::string_view step) {
    const bool sent = co_await send(conn, ex.requests, step);
    if (!sent) {
        co_return false;
    }
    const bool got = co_await expect(conn, ex.replies, ex.reply_count, step);
    if (!got) {
        co_return false;
    }
    if (ex.quit) {
        const bool closed = co_await expect_eof(conn, step);
        co_return closed;
    }
    co_return true;
}

void client::abort_connection(connection& conn) {
    // SO_LINGER {on, 0}: close() sends a RST at once, whatever is unsent or unread.
    error_code ignored;
    conn.socket.set_option(net::socket_base::linger(true, 0), ignored);
    conn.socket.close(ignored);
}

net::awaitable<void> client::time_chat() {
    const auto conn = co_await connect(pool_.options.connection_timeout);
    if (!conn) {
        co_return;
    }
    for (auto rounds = uniform(1, 5); rounds > 0; --rounds) {
        exchange ex;
        add(ex, time_piece());
        const bool answered = co_await round_trip(*conn, ex, "TIME");
        if (!answered) {
            co_return;
        }
    }
}  // a plain close: FIN, with nothing left unread

net::awaitable<void> client::pipelined_burst() {
    const auto conn = co_await connect(pool_.options.connection_timeout);
    if (!conn) {
        co_return;
    }
    for (auto rounds = uniform(1, 3); rounds > 0; --rounds) {
        const auto ex = random_requests(uniform(40, 60));
        bool sent = false;
        if (chance(70)) {
            sent = co_await send(*conn, ex.requests, "burst");
        } else {
            sent = co_await send_in_fragments(*conn, ex.requests, "burst in fragments");
        }
        if (!sent) {
            co_return;
        }
        const bool got = co_await expect(*conn, ex.replies, ex.reply_count, "burst replies");
        if (!got) {
            co_return;
        }
    }
    if (chance(50)) {
        exchange ex;
        ex.add("QUIT", terminator(), pool_.options.time_reply);
        co_await round_trip(*conn, ex, "QUIT after bursts");
    }
}

net::awaitable<void> client::help() {
    const auto conn = co_await connect(pool_.options.connection_timeout);
    if (!conn) {
        co_return;
    }
    for (auto rounds = uniform(1, 3); rounds > 0; --rounds) {
        exchange ex;
        add(ex, help_piece());
        const bool answered = co_await round_trip(*conn, ex, "HELP");
        if (!answered) {
            co_return;
        }
    }
}

net::awaitable<void> client::garbage() {
    const auto conn = co_await connect(pool_.options.connection_timeout);
    if (!conn) {
        co_return;
    }
    for (auto rounds = uniform(1, 4); rounds > 0; --rounds) {
        exchange ex;
        add(ex, garbage_piece());
        const bool answered = co_await round_trip(*conn, ex, "garbage");
        if (!answered) {
            co_return;
        }
    }
}

net::awaitable<void> client::overlong() {
    const auto conn = co_await connect(pool_.options.connection_timeout);
    if (!conn) {
        co_return;
    }
    auto ex = random_requests(uniform(0, 10));
    // One byte over the limit is enough, even without a LF; some lines go on
    // and are followed by requests that must get no answer.
    ex.requests.append(pool_.options.max_line_bytes + 1 + uniform(0, 2000), 'y');
    if (chance(50)) {
        ex.requests.append("\nTIME\nHELP\n");
    }
    ex.replies.append(too_long_reply);
    ++ex.reply_count;
    const bool sent = co_await send(*conn, ex.requests, "overlong line");
    if (sent) {
        const bool got = co_await expect(*conn, ex.replies, ex.reply_count, "replies up to the too-long error");
        if (got) {
            co_await expect_eof(*conn, "close after the too-long error");
        }
    }
}

net::awaitable<void> client::reset() {
    const auto conn = co_await connect(pool_.options.connection_timeout);
    if (!conn) {
        co_return;
    }
    const auto variant = uniform(1, 3);
    if (variant == 1) {
        // A burst, a few of its replies read, then gone while the server is
        // probably still writing the rest.
        exchange ex;
        for (auto count = uniform(100, 2000); count > 0; --count) {
            add(ex, time_piece());
        }
        const bool sent = co_await send(*conn, ex.requests, "burst before reset");
        if (!sent) {
            co_return;
        }
        const auto read = uniform(0, 20) * pool_.options.time_reply.size();
        const bool got = co_await expect(*conn, std::string_view(ex.replies).substr(0, read),
                                         read / pool_.options.time_reply.size(), "replies before reset");
        if (!got) {
            co_return;
        }
    } else if (variant == 2) {
        // A round trip, then half a line, then gone.
        exchange ex;
        add(ex, random_piece());
        const bool answered = co_await round_trip(*conn, ex, "request before reset");
        if (!answered) {
            co_return;
        }
        const bool sent = co_await send(*conn, "TI", "half a line before reset");
        if (!sent) {
            co_return;
        }
    }
    abort_connection(*conn);  // variant 3: gone at once, before any request
}

net::awaitable<void> client::half_close() {
    const auto conn = co_await connect(pool_.options.connection_timeout);
    if (!conn) {
        co_return;
    }
    auto ex = random_requests(uniform(1, 50));
    if (chance(50)) {
        // `printf TIME | nc -N`: the last line has no LF and is still answered.
        ex.add(random_piece().text, "", pool_.options.time_reply);
    }
    const bool sent = co_await send(*conn, ex.requests, "requests before half-close");
    if (!sent) {
        co_return;
    }
    error_code ignored;
    conn->socket.shutdown(tcp::socket::shutdown_send, ignored);
    const bool got = co_await expect(*conn, ex.replies, ex.reply_count, "replies after half-close");
    if (got) {
        co_await expect_eof(*conn, "close after half-close");
    }
}

net::awaitable<void> client::idle_then_time() {
    const auto conn = co_await connect(pool_.options.connection_timeout);
    if (!conn) {
        co_return;
    }
    co_await pause(milliseconds_between(50, 500));
    exchange ex;
    add(ex, time_piece());
    co_await round_trip(*conn, ex, "TIME after idling");
}

net::awaitable<void> client::slow_reader() {
    const auto conn = co_await connect(pool_.options.connection_timeout);
    if (!conn) {
        co_return;
    }
    // Sometimes enough replies that they exceed both sockets' buffers, so the
    // server's write blocks until this client reads.
    const auto ex = random_requests(chance(20) ? uniform(15000, 25000) : uniform(200, 2000));
    // Written while the late reading runs alongside: a writer that waited for
    // its whole write before reading could deadlock against a blocked server.
    const auto late = milliseconds_between(50, 400);
    auto read_late = [&]() -> net::awaitable<bool> {
        co_await pause(late);
        const bool got = co_await expect_slowly(*conn, ex.replies, ex.reply_count, "replies read late");
        co_return got;
    };
    const auto [sent, read] = co_await (send(*conn, ex.requests, "requests of a slow reader") && read_late());
    if (sent && read && chance(50)) {
        exchange bye;
        bye.add("QUIT", "\n", pool_.options.time_reply);
        co_await round_trip(*conn, bye, "QUIT after slow reading");
    }
}

net::awaitable<void> client::quit() {
    const auto conn = co_await connect(pool_.options.connection_timeout);
    if (!conn) {
        co_return;
    }
    auto ex = random_requests(uniform(0, 10));
    if (ex.quit) {
        co_return;  // cannot happen: random requests hold no QUIT
    }
    ex.add(chance(50) ? "QUIT" : " quit\t", terminator(), pool_.options.time_reply);
    if (chance(50)) {
        ex.add("TIME", "\n", pool_.options.time_reply);  // after QUIT: ignored
        ex.add("HELP", "\r\n", pool_.options.time_reply);
    }
    co_await round_trip(*conn, ex, "requests and QUIT");
}

net::awaitable<void> client::run_scenario(scenario kind) {
    current_ = kind;
    ++pool_.report.connections_by_scenario[static_cast<std::size_t>(kind)];
    switch (kind) {
    case scenario::time_chat:
        return time_chat();
    case scenario::pipelined_burst:
        return pipelined_burst();
    case scenario::help:
        return help();
    case scenario::garbage:
        return garbage();
    case scenario::overlong:
        return overlong();
    case scenario::reset:
        return reset();
    case scenario::half_close:
        return half_close();
    case scenario::idle_then_time:
        return idle_then_time();
    case scenario::slow_reader:
        return slow_reader();
    case scenario::quit:
        return quit();
    }
    return time_chat();
}

net::awaitable<bool> client::hold_and_arrive(connection_ptr& held) {
    // Held for the whole run: 1,000+ sessions open at once however quick the
    // scenarios are, and idle ones that must still answer at the end.
    const auto& options = pool_.options;
    held = co_await connect(options.duration + 3 * options.connection_timeout);
    bool ok = false;
    if (held) {
        exchange ex;
        add(ex, time_piece());
        ok = co_await round_trip(*held, ex, "first TIME");
    }
    pool_.held_ok += ok ? 1 : 0;
    if (++pool_.arrived == options.clients) {
        pool_.report.all_connected = pool_.held_ok == options.clients;
        if (options.when_all_connected) {
            pool_.report.all_connected_value = options.when_all_connected();
        }
        pool_.scenarios_end = steady::now() + options.duration;
        pool_.all_arrived.cancel();
    } else {
        co_await pool_.all_arrived.async_wait(use_tuple);  // ends when cancelled or at its deadline
    }
    co_return ok;
}

net::awaitable<void> client::run() {
    connection_ptr held;
    const bool held_ok = co_await hold_and_arrive(held);
    if (!held_ok) {
        co_return;
    }
    holding_ = false;
    std::size_t scenarios = 0;
    while (steady::now() < pool_.scenarios_end && failures_ < max_failures_per_client) {
        co_await run_scenario(pick_scenario());
        ++scenarios;
        co_await pause(milliseconds_between(0, 20));  // think time, so clients drift apart
    }
    pool_.fewest_scenarios = std::min(pool_.fewest_scenarios, scenarios);
    holding_ = true;
    exchange ex;
    add(ex, time_piece());
    ex.add("QUIT", "\r\n", pool_.options.time_reply);
    co_await round_trip(*held, ex, "last TIME and QUIT");
}

}  // namespace

const char* to_string(scenario kind) {
    static constexpr std::array<const char*, scenario_count> names{
        "time_chat", "pipelined_burst", "help",           "garbage",     "overlong",
        "reset",     "half_close",      "idle_then_time", "slow_reader", "quit"};
    return names.at(static_cast<std::size_t>(kind));
}

pool_report run_client_pool(const pool_options& options) {
    pool_report report;
    net::io_context io(1);
    pool_state pool(options, report, io);
    // Until every held connection is up; later ends move with the barrier.
    pool.all_arrived.expires_after(options.connection_timeout);
    pool.scenarios_end = steady::now() + options.connection_timeout + options.duration;

    std::vector<std::unique_ptr<client>> clients;
    for (std::size_t id = 0; id < options.clients; ++id) {
        clients.push_back(std::make_unique<client>(pool, id));
        ++pool.running;
        net::co_spawn(io, clients.back()->run(), [&pool, id](const std::exception_ptr& failure) {
            --pool.running;
            if (failure) {
                ++pool.report.failure_count;
                try {
                    std::rethrow_exception(failure);
                } catch (const std::exception& e) {
                    pool.report.failures.push_back(fmt::format("client {}: exception: {}", id, e.what()));
                }
            }
        });
    }
    // The barrier, the scenarios and every connection's own deadline: past
    // this, something hangs that the deadlines did not catch.
    io.run_for(options.connection_timeout * 4 + options.duration);
    report.finished = pool.running == 0;
    report.fewest_scenarios = pool.fewest_scenarios == SIZE_MAX ? 0 : pool.fewest_scenarios;
    if (!report.finished) {
        report.failures.push_back(fmt::format("{} clients still running at the pool's deadline", pool.running));
        ++report.failure_count;
    }
    return report;
}

}  // namespace stress
