// proxy_header_reader.cpp - the PROXY header read with peeks, so that not one
// byte of the client's own data is taken from the socket with it.
#include "proxy_header_reader.hpp"

#include "lingering_close.hpp"
#include "log_text.hpp"
#include "proxy_header.hpp"

#include <array>
#include <chrono>
#include <span>
#include <string>

namespace time_server {

namespace net = boost::asio;
using tcp = net::ip::tcp;
using boost::system::error_code;

namespace {

// Waits for bytes and copies them into `space` without taking them from the
// socket. A plain function returning a deferred operation, like session.cpp's
// read_some().
auto peek_some(session_socket& socket, std::span<char> space) {
    return socket.async_receive(net::buffer(space.data(), space.size()), session_socket::message_peek, use_tuple);
}

}  // namespace

session_task<std::optional<tcp::endpoint>> read_proxy_header(session_socket& socket,
                                                             session_registry::entry& membership,
                                                             tcp::endpoint connection_peer, server_context& ctx) {
    // The watchdog ends a connection whose header is still incomplete then:
    // the header's own deadline, not the idle timeout, which starts once the
    // header is complete (a load balancer may hold a connection before it
    // writes the header, whatever the server's idle timeout).
    membership.replace_deadline_within(ctx.config.proxy_header_timeout);
    // A bad header is logged with the connection's own peer: the load
    // balancer, or whoever reached the server around it.
    const std::string real_peer = describe_peer(connection_peer);
    std::array<char, max_proxy_header_bytes> header{};
    std::size_t have = 0;
    for (;;) {
        // Suspends until the load balancer sends more, closes, or the
        // watchdog shuts the connection down. A peek: the bytes stay in the
        // socket, so the ones after the header are the session's to read.
        auto [error, peeked] = co_await peek_some(socket, std::span(header).subspan(have));
        if (error || peeked == 0) {
            if (membership.reason() == close_reason::shutdown) {
                co_return std::nullopt;  // the server is stopping; not the sender's fault
            }
            if (membership.reason() == close_reason::idle_timeout) {
                const std::chrono::duration<double> timeout = ctx.config.proxy_header_timeout;
                ctx.log.warn("Header PROXY dari {} tidak lengkap dalam {:g} detik, koneksi ditutup.", real_peer,
                             timeout.count());
            } else {
                ctx.log.warn("Koneksi dengan {} ditutup sebelum header PROXY lengkap.", real_peer);
            }
            co_return std::nullopt;
        }
        const auto result = parse_proxy_header({header.data(), have + peeked});
        if (result.state == proxy_header_result::status::malformed) {
            ctx.log.warn("Header PROXY dari {} tidak valid ({}), koneksi ditutup.", real_peer, result.reason);
            // Whatever the sender wrote after the bad bytes is still unread:
            // closing now would send a reset. A FIN, then drain, as for a
            // client that sent too long a line.
            co_await linger_before_close(socket, membership);
            co_return std::nullopt;
        }
        // Take from the socket what belongs to the header: everything peeked
        // while it is incomplete, exactly its end once it is complete. The
        // bytes are there, so this read returns at once.
        const std::size_t take = result.state == proxy_header_result::status::done ? result.header_bytes - have
                                                                                   : peeked;
        error_code read_error;
        const std::size_t taken = socket.receive(net::buffer(header.data() + have, take), 0, read_error);
        if (read_error || taken != take) {
            ctx.log.warn("Terjadi error pada koneksi dengan {}: {}", real_peer,
                         read_error ? read_error.message() : "short read");
            co_return std::nullopt;
        }
        have += taken;
        if (result.state == proxy_header_result::status::done) {
            membership.touch();  // from now on, the idle timeout
            co_return result.source.value_or(connection_peer);
        }
    }
}

}  // namespace time_server
