// session.cpp - one client's session: read what it sent, dispatch every
// complete line, write the answers, until the session ends.
//
// Every co_await below suspends only this session. While it waits, the thread
// that ran it goes back to io_context::run() and serves other sessions; when
// the socket is ready, whichever thread is free resumes it. A session has one
// operation pending at a time, so it never runs on two threads at once.
#include "session.hpp"

#include "line_framer.hpp"
#include "log_text.hpp"
#include "protocol.hpp"
#include "proxy_header_reader.hpp"

#include <boost/asio/write.hpp>

#include <array>
#include <chrono>
#include <string>

namespace time_server {

namespace net = boost::asio;
using tcp = net::ip::tcp;
using boost::system::error_code;

namespace {

// How long and how much a lingering close reads and drops at most.
constexpr auto linger_time = std::chrono::milliseconds(500);
constexpr std::size_t linger_max_bytes = std::size_t{64} * 1024;

// How a session ends; decides the log line before the closing one.
enum class ending { not_yet, quit, client_closed, line_too_long, closed_by_server, io_error };

// Everything a session keeps besides its socket and its registry entry.
struct session {
    server_context& ctx;
    session_registry::entry& membership;
    std::string peer;        // "('127.0.0.1', 54321)"; empty when nothing is logged
    line_framer framer;      // bytes read but not yet dispatched
    time_of_day clock_face;  // "JAM hh:mm:ss\r\n", formatted once per second
    std::string replies;     // answers to the lines of one read, sent in one write
    error_code error{};      // what ended the session, with ending::io_error
};

std::string peer_for_log(const server_context& ctx, const tcp::endpoint& peer) {
    // Skip the formatting when no line will be written (--log-level off).
    return ctx.log.should_log(spdlog::level::err) ? describe_peer(peer) : std::string();
}

// Reads whatever the client has sent into the framer's free space. A plain
// function returning a deferred operation, not a coroutine: it adds no
// coroutine frame to every idle session (the caller commits the bytes).
auto read_some(session_socket& socket, line_framer& framer) {
    const auto space = framer.prepare();
    return socket.async_read_some(net::buffer(space.data(), space.size()), use_tuple);
}

// Whether a read or a write that completed with `error` ends the session. The
// registry ends a session with shutdown(2) (idle timeout, server stop): the
// pending read then sees end of stream, or a write a broken pipe, so its
// reason is checked first. The client's own end of stream does not end the
// session yet: its lines are still answered.
ending ended_by(session& s, error_code error) {
    if (s.membership.reason() != close_reason::none) {
        return ending::closed_by_server;
    }
    if (!error || error == net::error::eof) {
        return ending::not_yet;
    }
    s.error = error;
    return ending::io_error;
}

// Answers one request into s.replies. Returns false when the client quits.
bool answer(session& s, std::string_view request, std::chrono::system_clock::time_point now) {
    auto& log = s.ctx.log;
    const command what = parse_command(request);
    if (what == command::empty) {
        return true;  // like pressing Enter at a shell prompt: no reply, no log line
    }
    // Every other request is logged first, as received, whatever it is
    // (docs/protocol.md). The hot path makes not even a call when quiet.
    const bool logging = log.should_log(spdlog::level::info);
    if (logging) {
        log.info("Menerima request '{}' dari {}", client_text{request}, s.peer);
    }
    switch (what) {
    case command::time:
        s.replies.append(s.clock_face.time_reply(now));
        if (logging) {
            log.info("Mengirim waktu '{}' ke {}", s.clock_face.format(now), s.peer);
        }
        return true;
    case command::quit:
        log.info("Klien {} meminta untuk keluar.", s.peer);
        return false;
    case command::help:
        s.replies.append(help_reply);
        return true;
    case command::unknown:
        log.info("Perintah tidak dikenal '{}' dari {}", client_text{request}, s.peer);
        s.replies.append(unknown_command_reply);
        return true;
    case command::empty:
        break;  // answered above
    }
    return true;
}

// Answers every complete line read so far, without I/O: the answers collect
// in s.replies. At the end of the client's stream the unterminated last line
// counts too, and the session ends.
ending dispatch_lines(session& s, bool end_of_stream) {
    // One clock read for all the lines of one read: they arrived together.
    const auto now = s.ctx.clock();
    bool answered_a_line = false;
    for (;;) {
        const auto next = s.framer.next();
        switch (next.state) {
        case line_framer::status::line:
            if (!answer(s, next.line, now)) {
                return ending::quit;  // what came after QUIT is ignored
            }
            answered_a_line = true;
            break;
        case line_framer::status::too_long:
            s.ctx.log.warn("Baris dari {} terlalu panjang (lebih dari {} byte), koneksi ditutup: '{}'", s.peer,
                           s.ctx.config.max_line_bytes, client_text{s.framer.peek_unterminated()});
            s.replies.append(line_too_long_reply);
            return ending::line_too_long;
        case line_framer::status::need_more:
            if (end_of_stream) {
                const auto last = s.framer.take_unterminated();
                return last && !answer(s, *last, now) ? ending::quit : ending::client_closed;
            }
            if (answered_a_line) {
                // Only a complete line restarts the idle clock; a trickle of
                // bytes without a LF does not keep a connection alive.
                s.membership.touch();
            }
            return ending::not_yet;
        }
    }
}

// Sends the replies to the lines of one read, all at once. The socket is in
// non-blocking mode (accept_clients sets it), so write_some() hands the bytes
// to the kernel at once or says would_block: the usual case costs one send(2)
// and no trip through the io_context's queue. Only a client that does not read
// its replies, so that its socket buffer is full, makes the session suspend.
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

// Closing a socket that still has unread bytes makes the kernel send a reset,
// and a client that is still writing (`head -c 5000 /dev/zero | nc`) then
// never sees the reply it was sent. So, like nginx's lingering close: send
// FIN, then read and drop what the client still sends until it closes too,
// for half a second and 64 KiB at most. The watchdog bounds the time: it
// shuts the connection down, which ends the pending read.
session_task<void> linger_before_close(session_socket& socket, session_registry::entry& membership) {
    error_code ignored;
    socket.shutdown(session_socket::shutdown_send, ignored);
    membership.expire_within(linger_time);
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

bool client_may_still_send(const session_socket& socket, const session& s, ending end) {
    if (end == ending::line_too_long) {
        return true;
    }
    error_code error;
    return end == ending::quit && (s.framer.buffered_bytes() > 0 || socket.available(error) > 0);
}

void log_ending(const session& s, ending end) {
    auto& log = s.ctx.log;
    switch (end) {
    case ending::client_closed:
        log.info("Koneksi dengan {} ditutup oleh klien.", s.peer);
        break;
    case ending::io_error:
        log.warn("Terjadi error pada koneksi dengan {}: {}", s.peer, s.error.message());
        break;
    case ending::closed_by_server:
        if (s.membership.reason() == close_reason::idle_timeout) {
            const std::chrono::duration<double> timeout = s.ctx.config.idle_timeout;
            log.warn("Koneksi dengan {} tidak aktif selama {:g} detik, koneksi ditutup.", s.peer, timeout.count());
        } else {
            log.info("Koneksi dengan {} ditutup karena server berhenti.", s.peer);
        }
        break;
    case ending::quit:           // logged when QUIT was read
    case ending::line_too_long:  // logged when the limit was passed
    case ending::not_yet:
        break;
    }
}

}  // namespace

session_task<void> serve_client(session_socket socket, tcp::endpoint peer, server_context& ctx) {
    // A local, so destroyed before the socket parameter on every way out, an
    // exception included: the session leaves the registry before its
    // descriptor is closed, and the registry never shuts down a descriptor
    // number the kernel has already given to a newer connection.
    session_registry::entry membership(ctx.registry, socket);
    session s{ctx, membership, {}, line_framer(ctx.config.max_line_bytes), time_of_day(ctx.config.utc), {}};
    if (ctx.config.proxy_protocol) {
        // Suspends until the load balancer's PROXY header is complete; it
        // names the client, who is the peer from now on, the log included.
        const auto client = co_await read_proxy_header(socket, membership, peer, ctx);
        if (!client) {
            membership.close(socket);  // no reply: a bad header was logged
            co_return;
        }
        peer = *client;
    }
    s.peer = peer_for_log(ctx, peer);
    ctx.log.info("Menerima koneksi baru dari {}", s.peer);

    auto end = ending::not_yet;
    while (end == ending::not_yet) {
        // 1. Read what the client sent. Suspends until bytes arrive, the
        // client closes, or the registry shuts the connection down: the only
        // place an idle session waits. Any free thread resumes it.
        auto [read_error, bytes] = co_await read_some(socket, s.framer);
        s.framer.commit(bytes);
        end = ended_by(s, read_error);
        // 2. Dispatch every complete line of that read: plain code, no I/O.
        if (end == ending::not_yet) {
            end = dispatch_lines(s, read_error == net::error::eof);
        }
        // 3. Write the answers in one send. Runs at once on this thread, like
        // a function call; suspends only if the client stopped reading.
        if (!s.replies.empty()) {
            const error_code write_error = co_await send_replies(socket, s.replies);
            if (write_error) {
                end = ended_by(s, write_error);
            }
        }
    }

    log_ending(s, end);
    if (client_may_still_send(socket, s, end)) {
        co_await linger_before_close(socket, membership);  // at most 0.5 s
    }
    membership.close(socket);
    ctx.log.info("Koneksi dengan {} telah ditutup.", s.peer);
}

session_task<void> refuse_client(session_socket socket, tcp::endpoint peer, server_context& ctx) {
    // Not counted against --max-connections, but registered, so that the
    // watchdog bounds the lingering close and a server stop reaches it.
    session_registry::entry membership(ctx.registry, socket, false);
    ctx.log.warn("Server sedang penuh ({} koneksi), menolak koneksi dari {}", ctx.config.max_connections,
                 peer_for_log(ctx, peer));
    // A few bytes into an empty socket buffer: the kernel takes them at once.
    // If the write fails, the client is gone anyway.
    std::string reply(server_busy_reply);
    const error_code error = co_await send_replies(socket, reply);
    if (!error) {
        // A client that is still writing would otherwise get a reset instead
        // of the reply.
        co_await linger_before_close(socket, membership);
    }
    membership.close(socket);
}

}  // namespace time_server
