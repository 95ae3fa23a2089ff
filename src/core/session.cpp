// session.cpp - one client's session: read what it sent, dispatch every
// complete line, write the answers, until the session ends.
//
// Every co_await below suspends only this session. While it waits, the thread
// that ran it goes back to io_context::run() and serves other sessions; when
// the socket is ready, whichever thread is free resumes it. A session has one
// operation pending at a time, so it never runs on two threads at once.
#include "session.hpp"

#include "conversation.hpp"
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

// How a session ends: as the conversation ended (the protocol's part), or by
// the server (idle timeout, stop) or an I/O error. Decides the log line
// before the closing one.
enum class ending { not_yet, quit, client_closed, line_too_long, closed_by_server, io_error };

ending ending_of(conversation_end end) {
    switch (end) {
    case conversation_end::quit:
        return ending::quit;
    case conversation_end::client_closed:
        return ending::client_closed;
    case conversation_end::line_too_long:
        return ending::line_too_long;
    case conversation_end::not_yet:
        break;
    }
    return ending::not_yet;
}

// Everything a session keeps besides its socket and its registry entry.
struct session {
    server_context& ctx;
    session_registry::entry& membership;
    conversation talk;   // the protocol: framer, clock face, replies, no I/O
    error_code error{};  // what ended the session, with ending::io_error
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

// Answers every complete line read so far (protocol/conversation.cpp, no
// I/O). Only a complete line restarts the idle clock; a trickle of bytes
// without a LF does not keep a connection alive.
ending dispatch_lines(session& s, bool end_of_stream) {
    const auto result = s.talk.dispatch_lines(end_of_stream, s.ctx.clock(), s.ctx.log);
    if (result.end == conversation_end::not_yet && result.answered_a_line) {
        s.membership.touch();
    }
    return ending_of(result.end);
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
    return end == ending::quit && (s.talk.framer().buffered_bytes() > 0 || socket.available(error) > 0);
}

void log_ending(const session& s, ending end) {
    auto& log = s.ctx.log;
    switch (end) {
    case ending::client_closed:
        log.info("Koneksi dengan {} ditutup oleh klien.", s.talk.peer());
        break;
    case ending::io_error:
        log.warn("Terjadi error pada koneksi dengan {}: {}", s.talk.peer(), s.error.message());
        break;
    case ending::closed_by_server:
        if (s.membership.reason() == close_reason::idle_timeout) {
            const std::chrono::duration<double> timeout = s.ctx.config.idle_timeout;
            log.warn("Koneksi dengan {} tidak aktif selama {:g} detik, koneksi ditutup.", s.talk.peer(),
                     timeout.count());
        } else {
            log.info("Koneksi dengan {} ditutup karena server berhenti.", s.talk.peer());
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
    session s{ctx, membership, conversation(ctx.config.max_line_bytes, ctx.config.utc)};
    s.talk.name_peer(peer_for_log(ctx, peer));
    ctx.log.info("Menerima koneksi baru dari {}", s.talk.peer());

    auto end = ending::not_yet;
    while (end == ending::not_yet) {
        // 1. Read what the client sent. Suspends until bytes arrive, the
        // client closes, or the registry shuts the connection down: the only
        // place an idle session waits. Any free thread resumes it.
        auto [read_error, bytes] = co_await read_some(socket, s.talk.framer());
        s.talk.framer().commit(bytes);
        end = ended_by(s, read_error);
        // 2. Dispatch every complete line of that read: plain code, no I/O.
        if (end == ending::not_yet) {
            end = dispatch_lines(s, read_error == net::error::eof);
        }
        // 3. Write the answers in one send. Runs at once on this thread, like
        // a function call; suspends only if the client stopped reading.
        if (!s.talk.replies().empty()) {
            const error_code write_error = co_await send_replies(socket, s.talk.replies());
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
    ctx.log.info("Koneksi dengan {} telah ditutup.", s.talk.peer());
}

session_task<void> serve_proxied_client(session_socket socket, tcp::endpoint connection_peer, server_context& ctx) {
    std::optional<tcp::endpoint> client;
    {
        // Registered while the header is read, so that its deadline and a
        // server stop reach the connection.
        session_registry::entry membership(ctx.registry, socket);
        // Suspends until the load balancer's PROXY header is complete; it
        // names the client, who is the peer from now on, the log included.
        client = co_await read_proxy_header(socket, membership, connection_peer, ctx);
        if (!client) {
            membership.close(socket);  // no reply: a bad header was logged
            co_return;
        }
        membership.hand_over_admission();  // to serve_client's entry
    }
    co_await serve_client(std::move(socket), *client, ctx);
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
