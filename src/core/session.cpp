// session.cpp - one client's session: read what it sent, dispatch every
// complete line, write the answers, until the session ends.
//
// Every co_await below suspends only this session. While it waits, the thread
// that ran it goes back to io_context::run() and serves other sessions; when
// the socket is ready, whichever thread is free resumes it. A session has one
// operation pending at a time, so it never runs on two threads at once.
#include "session.hpp"

#include "conversation.hpp"
#include "lingering_close.hpp"
#include "log_text.hpp"
#include "protocol.hpp"
#include "proxy_header_reader.hpp"

#include <boost/asio/write.hpp>

#include <chrono>
#include <string>

namespace time_server {

namespace net = boost::asio;
using tcp = net::ip::tcp;
using boost::system::error_code;

namespace {

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
    s.ctx.metrics.requests_answered(result.requests);
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
    co_return error_code{};
}

bool client_may_still_send(const session_socket& socket, const session& s, ending end) {
    if (end == ending::line_too_long) {
        return true;
    }
    error_code error;
    return end == ending::quit && (s.talk.framer().buffered_bytes() > 0 || socket.available(error) > 0);
}

// The metric's name for how the session ended.
session_end metric_of(const session& s, ending end) {
    switch (end) {
    case ending::quit:
        return session_end::quit;
    case ending::client_closed:
        return session_end::client_closed;
    case ending::line_too_long:
        return session_end::line_too_long;
    case ending::io_error:
        return session_end::io_error;
    case ending::closed_by_server:
    case ending::not_yet:
        break;
    }
    return s.membership.reason() == close_reason::idle_timeout ? session_end::idle_timeout : session_end::server_stop;
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
            s.talk.replies_sent();
            if (write_error) {
                end = ended_by(s, write_error);
            }
        }
    }

    log_ending(s, end);
    ctx.metrics.session_ended(metric_of(s, end));
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
            // No reply: the reader logged why, and lingered if the sender may still be sending.
            const bool stopping = membership.reason() == close_reason::shutdown;
            ctx.metrics.session_ended(stopping ? session_end::server_stop : session_end::proxy_header);
            membership.close(socket);
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
    // A client that has sent something would get a reset instead of the reply
    // if the socket closed with its bytes unread; one that sent nothing gets
    // the reply and a FIN at once, and costs no descriptor meanwhile.
    error_code ignored;
    if (!error && socket.available(ignored) > 0) {
        co_await linger_before_close(socket, membership);
    }
    membership.close(socket);
}

}  // namespace time_server
