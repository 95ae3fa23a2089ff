// session.cpp - the session coroutine: read a line, answer it, repeat.
//
// Every co_await below suspends only this session. While it waits, the thread
// that ran it goes back to io_context::run() and serves other sessions; when
// the socket is ready, whichever thread is free resumes it. A session has one
// operation pending at a time, so it never runs on two threads at once.
#include "session.hpp"

#include "line_framer.hpp"
#include "log_text.hpp"
#include "protocol.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/write.hpp>

#include <array>
#include <chrono>
#include <optional>
#include <string>

namespace time_server {

namespace net = boost::asio;
using tcp = net::ip::tcp;
using boost::system::error_code;

namespace {

// How long and how much a lingering close reads and drops at most.
constexpr auto linger_time = std::chrono::milliseconds(500);
constexpr std::size_t linger_max_bytes = std::size_t{64} * 1024;

// Errors come back as values, so expected ones are compared by name and none
// escapes as an exception.
constexpr auto use_tuple = net::as_tuple(net::deferred);

// Everything a session keeps besides its socket.
struct conversation {
    server_context& ctx;
    session_registry::entry& membership;
    std::string peer;        // "('127.0.0.1', 54321)"; empty when nothing is logged
    line_framer framer;      // bytes read but not yet answered
    time_of_day clock_face;  // caches hh:mm:ss for the current second
    std::string replies;     // answers to the lines of one read, sent in one write
};

// The TIME reply to the lines of one read, made once: the clock is read and
// the reply formatted at most once per read, not once per line, since a
// pipelining client may send hundreds of lines at once (they all arrived
// together anyway).
class reply_for_this_read {
public:
    reply_for_this_read(const wall_clock& clock, time_of_day& clock_face) : clock_(clock), clock_face_(clock_face) {}

    // "hh:mm:ss"; valid as long as this object.
    std::string_view hh_mm_ss() {
        make();
        return hh_mm_ss_;
    }
    // "JAM hh:mm:ss\r\n"
    std::string_view time_reply() {
        make();
        return reply_;
    }

private:
    void make() {
        if (reply_.empty()) {  // only when a line asks for the time
            hh_mm_ss_ = clock_face_.format(clock_());
            append_time_reply(reply_, hh_mm_ss_);  // 14 bytes: no allocation
        }
    }

    const wall_clock& clock_;
    time_of_day& clock_face_;
    std::string_view hh_mm_ss_;
    std::string reply_;
};

// How the conversation ended: decides the log line before the closing one.
struct ending {
    enum kind { quit, client_closed, line_too_long, closed_by_server, io_error } how{};
    error_code error{};
};

std::string peer_for_log(const server_context& ctx, const tcp::endpoint& peer) {
    // Skip the formatting when no line will be written (--log-level off).
    return ctx.log.should_log(spdlog::level::err) ? describe_peer(peer) : std::string();
}

// Answers one request into c.replies. Returns false when the client quits.
bool answer(conversation& c, std::string_view request, reply_for_this_read& now) {
    auto& log = c.ctx.log;
    const command what = parse_command(request);
    if (what == command::empty) {
        return true;  // like pressing Enter at a shell prompt: no reply, no log line
    }
    // Every other request is logged first, as received, whatever it is
    // (docs/protocol.md). The hot path makes not even a call when quiet.
    const bool logging = log.should_log(spdlog::level::info);
    if (logging) {
        log.info("Menerima request '{}' dari {}", client_text{request}, c.peer);
    }
    switch (what) {
    case command::time:
        c.replies.append(now.time_reply());
        if (logging) {
            log.info("Mengirim waktu '{}' ke {}", now.hh_mm_ss(), c.peer);
        }
        return true;
    case command::quit:
        log.info("Klien {} meminta untuk keluar.", c.peer);
        return false;
    case command::help:
        c.replies.append(help_reply);
        return true;
    case command::unknown:
        log.info("Perintah tidak dikenal '{}' dari {}", client_text{request}, c.peer);
        c.replies.append(unknown_command_reply);
        return true;
    case command::empty:
        break;  // answered above
    }
    return true;
}

// Reads whatever the client has sent into the framer's free space. A plain
// function returning a deferred operation, not a coroutine: it adds no
// coroutine frame to every idle session (the caller commits the bytes).
auto read_into(session_socket& socket, line_framer& framer) {
    const auto space = framer.prepare();
    return socket.async_read_some(net::buffer(space.data(), space.size()), use_tuple);
}

// Sends the replies to the lines of one read, all at once. The socket is in
// non-blocking mode (accept_clients sets it), so write_some() hands the bytes to the kernel at once or
// says would_block: the usual case costs one send(2) and no trip through the
// io_context's queue. Only a client that does not read its replies, so that
// its socket buffer is full, makes the session suspend here.
session_task<error_code> send_replies(session_socket& socket, std::string& replies) {
    for (std::size_t sent = 0; sent < replies.size();) {
        error_code error;
        sent += socket.write_some(net::buffer(replies) + sent, error);
        if (error == net::error::would_block) {
            // Suspends until the client has read enough to make room.
            auto [wait_error] = co_await socket.async_wait(session_socket::wait_write, use_tuple);
            error = wait_error;
        }
        if (error) {
            co_return error;
        }
    }
    replies.clear();  // keeps the capacity: no allocation on the next request
    co_return error_code{};
}

ending failed(const conversation& c, error_code error) {
    // A connection the registry shut down (idle timeout, server stop) fails
    // a pending write with a broken pipe; that is not an I/O error.
    if (c.membership.reason() != close_reason::none) {
        return {ending::closed_by_server};
    }
    return {ending::io_error, error};
}

// Answers every complete line read so far, without I/O: the answers collect
// in c.replies. At the end of the client's stream an unterminated last line
// counts too. Says how the conversation ends, or nothing to keep reading.
std::optional<ending::kind> answer_buffered_lines(conversation& c, bool end_of_stream) {
    reply_for_this_read now(c.ctx.clock, c.clock_face);
    for (;;) {
        const auto next = c.framer.next();
        switch (next.state) {
        case line_framer::status::line:
            if (!answer(c, next.line, now)) {
                return ending::quit;  // what came after QUIT is ignored
            }
            break;
        case line_framer::status::too_long:
            c.ctx.log.warn("Baris dari {} terlalu panjang (lebih dari {} byte), koneksi ditutup: '{}'", c.peer,
                           c.ctx.config.max_line_bytes, client_text{c.framer.peek_unterminated()});
            c.replies.append(line_too_long_reply);
            return ending::line_too_long;
        case line_framer::status::need_more:
            if (!end_of_stream) {
                return std::nullopt;
            }
            if (const auto last = c.framer.take_unterminated(); last && !answer(c, *last, now)) {
                return ending::quit;
            }
            return ending::client_closed;
        }
    }
}

// Closing a socket that still has unread bytes makes the kernel send a reset,
// and a client that is still writing (`head -c 5000 /dev/zero | nc`) then
// never sees the reply it was sent. So, like nginx's lingering close: send
// FIN, then read and drop what the client still sends until it closes too,
// for half a second and 64 KiB at most.
session_task<void> linger_before_close(session_socket& socket, conversation& c) {
    error_code ignored;
    socket.shutdown(session_socket::shutdown_send, ignored);
    c.membership.expire_within(linger_time);  // the watchdog shuts it down after that
    std::array<char, 512> scrap{};
    for (std::size_t drained = 0; drained < linger_max_bytes;) {
        // Suspends until the client sends more or closes, or the watchdog shuts us down.
        auto [error, bytes] = co_await socket.async_read_some(net::buffer(scrap), use_tuple);
        if (error) {
            break;
        }
        drained += bytes;
    }
}

bool client_may_still_send(const session_socket& socket, const conversation& c, const ending& end) {
    if (end.how == ending::line_too_long) {
        return true;
    }
    error_code error;
    return end.how == ending::quit && (c.framer.buffered_bytes() > 0 || socket.available(error) > 0);
}

void log_ending(const conversation& c, const ending& end) {
    auto& log = c.ctx.log;
    switch (end.how) {
    case ending::client_closed:
        log.info("Koneksi dengan {} ditutup oleh klien.", c.peer);
        break;
    case ending::io_error:
        log.warn("Terjadi error pada koneksi dengan {}: {}", c.peer, end.error.message());
        break;
    case ending::closed_by_server:
        if (c.membership.reason() == close_reason::idle_timeout) {
            const std::chrono::duration<double> timeout = c.ctx.config.idle_timeout;
            log.warn("Koneksi dengan {} tidak aktif selama {:g} detik, koneksi ditutup.", c.peer, timeout.count());
        } else {
            log.info("Koneksi dengan {} ditutup karena server berhenti.", c.peer);
        }
        break;
    case ending::quit:           // logged when QUIT was read
    case ending::line_too_long:  // logged when the limit was passed
        break;
    }
}

}  // namespace

session_task<void> serve_client(session_socket socket, tcp::endpoint peer, server_context& ctx) {
    session_registry::entry membership(ctx.registry, socket);
    conversation c{
        ctx, membership, peer_for_log(ctx, peer), line_framer(ctx.config.max_line_bytes), time_of_day(ctx.config.utc),
        {}};
    ctx.log.info("Menerima koneksi baru dari {}", c.peer);
    error_code ignored;

    // The conversation: answer what has been read, send the answers in one
    // write, read more, repeat. It is written out here rather than in a
    // coroutine of its own because a suspended coroutine keeps the frames of
    // all its callers: one frame per idle session is what lets ten thousand
    // idle clients cost little (docs/performance.md).
    ending end{};
    bool end_of_stream = false;  // the client has closed its sending side
    for (;;) {
        const auto finished = answer_buffered_lines(c, end_of_stream);
        if (!c.replies.empty()) {
            // Awaiting a coroutine of our own runs it at once, on this
            // thread, like a function call; send_replies returns without
            // suspending unless the client's socket buffer is full.
            const error_code error = co_await send_replies(socket, c.replies);
            if (error) {
                end = failed(c, error);
                break;
            }
        }
        if (finished) {
            end = {*finished};
            break;
        }
        // Suspends until at least one byte arrives, the client closes, or the
        // registry shuts the connection down. One read often brings many
        // lines. Any free thread resumes the session.
        auto [error, bytes] = co_await read_into(socket, c.framer);
        c.framer.commit(bytes);
        if (c.membership.reason() != close_reason::none) {
            end = {ending::closed_by_server};  // the read saw the registry's shutdown as EOF or an error
            break;
        }
        if (error == net::error::eof) {
            end_of_stream = true;  // its complete and unterminated lines are still answered
        } else if (error) {
            end = failed(c, error);
            break;
        } else if (c.framer.has_complete_line()) {
            // Only a complete line restarts the idle clock; a trickle of
            // bytes without a LF does not keep a connection alive.
            c.membership.touch();
        }
    }

    log_ending(c, end);
    if (client_may_still_send(socket, c, end)) {
        co_await linger_before_close(socket, c);  // at most 0.5 s: the watchdog ends it
    }
    socket.shutdown(session_socket::shutdown_both, ignored);
    membership.close(socket);
    ctx.log.info("Koneksi dengan {} telah ditutup.", c.peer);
}

session_task<void> refuse_client(session_socket socket, tcp::endpoint peer, server_context& ctx) {
    ctx.log.warn("Server sedang penuh ({} koneksi), menolak koneksi dari {}", ctx.config.max_connections,
                 peer_for_log(ctx, peer));
    // A few bytes into an empty socket buffer: the kernel takes them at once
    // and the coroutine resumes as soon as its completion is run. If the write
    // fails, the client is gone anyway.
    co_await net::async_write(socket, net::buffer(server_busy_reply), use_tuple);
    error_code ignored;
    socket.shutdown(session_socket::shutdown_both, ignored);
    socket.close(ignored);
}

}  // namespace time_server
