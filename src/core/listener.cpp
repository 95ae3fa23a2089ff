// listener.cpp - the accept loop, with its back-off when descriptors run out.
#include "listener.hpp"

#include "session.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>

#include <chrono>
#include <optional>

namespace time_server {

namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

// When accept fails for lack of descriptors the pending connection stays
// queued, so accepting again at once would fail again at once: 100 % CPU.
// Waiting a little lets sessions end and free descriptors.
constexpr auto accept_backoff = std::chrono::milliseconds(100);

bool is_out_of_descriptors(const boost::system::error_code& error) {
    return error == net::error::no_descriptors                             // EMFILE: this process
           || error == boost::system::errc::too_many_files_open_in_system  // ENFILE
           || error == net::error::no_buffer_space                         // ENOBUFS
           || error == net::error::no_memory;                              // ENOMEM
}

// Errors that belong to one connection, not to the listening socket: Linux's
// accept(2) passes a new connection's pending network error on, and says to
// retry as for EAGAIN. The next accept may well succeed.
bool is_one_connections_error(const boost::system::error_code& error) {
    namespace errc = boost::system::errc;
    return error == net::error::connection_aborted || error == errc::protocol_error ||
           error == errc::no_protocol_option || error == net::error::host_unreachable ||
           error == net::error::network_down || error == net::error::network_unreachable ||
           error == errc::operation_not_supported || error == errc::operation_not_permitted ||
           error == errc::interrupted || error == errc::timed_out;
}

// Starts a session's coroutine as a handler of its own on the io_context. A
// plain co_spawn from here would run the session's first step inline: Asio
// 1.81's co_spawn begins with a dispatch, and this thread is already inside
// run(), on the control strand. The session's registration, its first log line
// and its first read attempt would then hold up accepting and the watchdog;
// posted, they run on whichever thread is free, and the accept loop goes
// straight back to accepting.
void start_on(const session_executor& sessions, session_task<void> task, server_context& ctx) {
    net::post(sessions, [sessions, task = std::move(task), &ctx]() mutable {
        net::co_spawn(sessions, std::move(task), report_unexpected_exit{ctx.log});
    });
}

}  // namespace

void report_unexpected_exit::operator()(const std::exception_ptr& failure) const {
    if (!failure) {
        return;
    }
    try {
        std::rethrow_exception(failure);
    } catch (const std::exception& e) {
        log.error("Coroutine berhenti karena pengecualian: {}", e.what());
    } catch (...) {
        log.error("Coroutine berhenti karena pengecualian yang tidak dikenal.");
    }
}

void stop_when_accepting_ends::operator()(const std::exception_ptr& failure, accept_end end) const {
    if (!failure && end == accept_end::stopped) {
        return;  // stop() closed the acceptor: the normal end
    }
    report_unexpected_exit{log}(failure);
    log.error("Server tidak dapat menerima koneksi lagi, server berhenti.");
    stop_server();
}

control_task<accept_end> accept_clients(control_acceptor& acceptor, session_executor sessions, server_context& ctx) {
    using clock = std::chrono::steady_clock;
    control_timer backoff(acceptor.get_executor());
    bool out_of_descriptors = false;
    std::optional<clock::time_point> failing_since;  // a listening socket's error, and since when
    for (;;) {
        tcp::endpoint peer;
        // The client's socket is bound to the io_context's executor: any
        // free thread runs the session's next step (see session_socket.hpp
        // for why no strand is needed). Suspends until a client connects, or
        // until server::stop() closes the acceptor; the loop resumes on the
        // acceptor's strand (control_).
        auto [error, socket] = co_await acceptor.async_accept(sessions, peer, use_tuple);
        if (!acceptor.is_open()) {
            co_return accept_end::stopped;  // server::stop() closed it
        }
        if (error == net::error::connection_aborted) {
            continue;  // the client gave up while queued: not the server's error
        }
        if (error) {
            ctx.metrics.accept_error();
        }
        if (error && is_one_connections_error(error)) {
            ctx.log.warn("Gagal menerima koneksi: {}", error.message());
            continue;  // that connection is gone; the next one may be fine
        }
        if (error) {
            if (is_out_of_descriptors(error)) {
                if (!out_of_descriptors) {
                    out_of_descriptors = true;  // one line per episode, not one per retry
                    ctx.log.warn("Kehabisan file descriptor saat menerima koneksi ({}); mencoba lagi setiap {} ms.",
                                 error.message(), accept_backoff.count());
                }
            } else if (!failing_since) {
                // The listening socket itself fails. Retried for a bounded
                // time, one line now and one at the end, not one per retry.
                failing_since = clock::now();
                const std::chrono::duration<double> limit = ctx.config.accept_failure_limit;
                ctx.log.warn("Gagal menerima koneksi: {}; server berhenti bila berlanjut {:g} detik.", error.message(),
                             limit.count());
            } else if (clock::now() - *failing_since >= ctx.config.accept_failure_limit) {
                const std::chrono::duration<double> limit = ctx.config.accept_failure_limit;
                ctx.log.error("Gagal menerima koneksi selama {:g} detik: {}", limit.count(), error.message());
                co_return accept_end::failed;
            }
            backoff.expires_after(accept_backoff);
            // Suspends the accept loop only; sessions go on meanwhile.
            // Nothing cancels this wait: at shutdown the loop finds the
            // acceptor closed at most 100 ms later.
            co_await backoff.async_wait(use_tuple);
            continue;
        }
        failing_since.reset();
        ctx.metrics.connection_accepted();
        if (out_of_descriptors) {
            out_of_descriptors = false;
            ctx.log.info("Menerima koneksi lagi setelah kehabisan file descriptor.");
        }

        // Replies are single small writes; do not let Nagle hold them back.
        boost::system::error_code ignored;
        socket.set_option(tcp::no_delay(true), ignored);
        // A session's synchronous write_some() must never block a thread
        // that serves other sessions (send_replies in session.cpp).
        socket.non_blocking(true, error);
        if (error) {
            ctx.log.warn("Gagal menerima koneksi: {}", error.message());
            continue;  // the socket closes as it goes out of scope
        }

        if (!ctx.registry.try_admit()) {
            ctx.metrics.connection_refused();
            start_on(sessions, refuse_client(std::move(socket), peer, ctx), ctx);
        } else if (ctx.config.proxy_protocol) {
            start_on(sessions, serve_proxied_client(std::move(socket), peer, ctx), ctx);
        } else {
            start_on(sessions, serve_client(std::move(socket), peer, ctx), ctx);
        }
    }
}

}  // namespace time_server
