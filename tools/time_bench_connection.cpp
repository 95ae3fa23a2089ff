// time_bench_connection.cpp - what each connection does in each phase.
//
// Every co_await suspends one connection's coroutine; meanwhile its thread
// runs the other connections of the shard (and of other shards, on other
// threads). The shard's strand resumes one of its coroutines at a time, so the
// tally needs no lock.
#include "time_bench_connection.hpp"

#include "reply_check.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <array>
#include <string_view>
#include <vector>

namespace time_tools {

namespace net = boost::asio;
using tcp = net::ip::tcp;
using boost::system::error_code;
using std::chrono::steady_clock;

namespace {

constexpr auto use_tuple = net::as_tuple(net::use_awaitable);

// What churn sends on each new connection, in one write, like loadgen.
constexpr std::string_view time_then_quit = "TIME\r\nQUIT\r\n";

// Room for the replies a connection awaits plus some: a server that sends
// more than it was asked for is then caught within one read.
constexpr std::size_t read_slack_bytes = 512;

// A connection's read buffer and the validator that checks what arrives in it.
struct reply_reader {
    explicit reply_reader(std::size_t awaited_replies)
        : buffer(awaited_replies * time_reply_bytes + read_slack_bytes) {}

    std::vector<char> buffer;
    reply_validator validator;
};

// Counts a coroutine out of its shard's phase when its frame ends, however
// it ends (an exception included); the last one cancels the watchdog's wait,
// so the phase ends as soon as its work does. The frame ends on the strand.
class phase_member {
public:
    explicit phase_member(shard& s) : shard_(s) {}
    ~phase_member() {
        if (shard_.running.fetch_sub(1, std::memory_order_relaxed) == 1) {
            try {
                shard_.deadline_timer.cancel();
            } catch (const boost::system::system_error&) {
                // Only a broken reactor fails here; the watchdog then ends at its deadline.
            }
        }
    }
    phase_member(const phase_member&) = delete;
    phase_member& operator=(const phase_member&) = delete;
    phase_member(phase_member&&) = delete;
    phase_member& operator=(phase_member&&) = delete;

private:
    shard& shard_;
};

failure classify(const shard& s, error_code error) {
    if (s.deadline_passed) {
        return failure::timeout;  // the watchdog closed the socket under the operation
    }
    return error == net::error::eof ? failure::early_close : failure::io;
}

void close_socket(tcp::socket& socket) {
    error_code ignored;
    socket.close(ignored);
}

net::awaitable<failure> connect_to(shard& s, tcp::socket& socket, const tcp::endpoint& target) {
    error_code error;
    socket.open(target.protocol(), error);
    if (error) {
        co_return failure::connect;  // out of descriptors, most likely
    }
    // Requests are small single writes: do not let Nagle hold them back.
    socket.set_option(tcp::no_delay(true), error);
    // Closing first leaves TIME_WAIT on our ephemeral port; with this, a server
    // that also sets SO_REUSEADDR can still bind that port later (as loadgen).
    socket.set_option(net::socket_base::reuse_address(true), error);
    // Suspends until the handshake completes (the kernel does it).
    auto [connect_error] = co_await socket.async_connect(target, use_tuple);
    if (connect_error) {
        co_return s.deadline_passed ? failure::timeout : failure::connect;
    }
    co_return failure::none;
}

net::awaitable<failure> send(shard& s, tcp::socket& socket, std::string_view bytes) {
    // Completes at once unless the server stopped reading and the socket
    // buffer is full.
    auto [error, written] = co_await net::async_write(socket, net::buffer(bytes), use_tuple);
    co_return error ? classify(s, error) : failure::none;
}

// Reads until exactly `awaited` replies have arrived, checking every byte.
net::awaitable<failure> receive_replies(shard& s, tcp::socket& socket, reply_reader& reader, std::size_t awaited) {
    std::size_t outstanding = awaited;
    while (outstanding > 0) {
        // Suspends until the server's bytes arrive; this is where a
        // connection spends nearly all of its time.
        auto [error, bytes] = co_await socket.async_read_some(net::buffer(reader.buffer), use_tuple);
        if (error) {
            co_return classify(s, error);
        }
        const int replies = reader.validator.feed({reader.buffer.data(), bytes});
        if (replies < 0) {
            co_return failure::protocol;
        }
        const auto arrived = static_cast<std::size_t>(replies);
        // More replies than requests, or bytes of one more after the last.
        if (arrived > outstanding || (arrived == outstanding && reader.validator.mid_reply())) {
            co_return failure::protocol;
        }
        outstanding -= arrived;
    }
    co_return failure::none;
}

// After QUIT the server sends nothing more and closes.
net::awaitable<failure> await_close(shard& s, tcp::socket& socket, reply_reader& reader) {
    auto [error, bytes] = co_await socket.async_read_some(net::buffer(reader.buffer), use_tuple);
    if (bytes > 0) {
        co_return failure::protocol;
    }
    if (error == net::error::eof) {
        co_return failure::none;
    }
    co_return classify(s, error);
}

// One TIME and its reply, on a connection already open.
net::awaitable<failure> ask_time(shard& s, tcp::socket& socket, reply_reader& reader) {
    const failure sent = co_await send(s, socket, time_request);
    if (sent != failure::none) {
        co_return sent;
    }
    const failure replied = co_await receive_replies(s, socket, reader, 1);
    co_return replied;
}

// One churn round on a fresh connection: the connection's whole life.
net::awaitable<failure> connect_time_quit(shard& s, tcp::socket& socket, const tcp::endpoint& target,
                                          reply_reader& reader) {
    const failure connected = co_await connect_to(s, socket, target);
    if (connected != failure::none) {
        co_return connected;
    }
    const failure sent = co_await send(s, socket, time_then_quit);
    if (sent != failure::none) {
        co_return sent;
    }
    const failure replied = co_await receive_replies(s, socket, reader, 1);
    if (replied != failure::none) {
        co_return replied;
    }
    const failure closed = co_await await_close(s, socket, reader);
    co_return closed;
}

}  // namespace

shard::shard(net::io_context& io, std::size_t connection_count) : strand(net::make_strand(io)), deadline_timer(strand) {
    sockets.reserve(connection_count);
    for (std::size_t i = 0; i < connection_count; ++i) {
        sockets.emplace_back(strand);  // no descriptor until opened
    }
}

void shard::count(failure what) {
    switch (what) {
    case failure::none:
        return;
    case failure::protocol:
        ++tally.protocol;
        break;
    case failure::early_close:
        ++tally.early_close;
        break;
    case failure::io:
        ++tally.io;
        break;
    case failure::connect:
        ++tally.connect;
        break;
    case failure::timeout:
        ++tally.timeout;
        break;
    }
    errors_seen.fetch_add(1, std::memory_order_relaxed);
}

net::awaitable<void> open_connections(shard& s, tcp::endpoint target) {
    const phase_member member(s);
    reply_reader reader(1);
    while (s.next_socket < s.sockets.size() && !s.deadline_passed) {
        tcp::socket& socket = s.sockets[s.next_socket++];
        failure result = co_await connect_to(s, socket, target);
        if (result == failure::none) {
            result = co_await ask_time(s, socket, reader);
        }
        if (result == failure::none) {
            ++s.tally.opened;
            continue;
        }
        s.count(result);
        close_socket(socket);
        reader.validator = {};  // it may have stopped inside a reply
    }
}

net::awaitable<void> exchange_requests(shard& s, std::size_t index, const run_plan& plan) {
    const phase_member member(s);
    tcp::socket& socket = s.sockets[index];
    reply_reader reader(plan.depth);
    std::uint64_t completed_in_window = 0;
    while (steady_clock::now() < plan.window_end) {
        const auto sent_at = steady_clock::now();
        const failure sent = co_await send(s, socket, plan.batch);
        if (sent != failure::none) {
            s.count(sent);
            co_return;
        }
        const failure replied = co_await receive_replies(s, socket, reader, plan.depth);
        if (replied != failure::none) {
            s.count(replied);
            co_return;
        }
        const auto now = steady_clock::now();
        s.replies_seen.fetch_add(plan.depth, std::memory_order_relaxed);
        if (plan.in_window(now)) {
            s.tally.completed += plan.depth;
            completed_in_window += plan.depth;
            s.tally.latency.record(now - sent_at);
        }
    }
    if (completed_in_window == 0) {
        ++s.tally.stalled;
    }
}

net::awaitable<void> churn_connections(shard& s, std::size_t index, const run_plan& plan) {
    const phase_member member(s);
    tcp::socket& socket = s.sockets[index];
    reply_reader reader(1);
    while (steady_clock::now() < plan.window_end && !s.deadline_passed) {
        const auto started_at = steady_clock::now();
        const failure result = co_await connect_time_quit(s, socket, plan.target, reader);
        close_socket(socket);
        if (result != failure::none) {
            s.count(result);
            reader.validator = {};
            continue;
        }
        const auto now = steady_clock::now();
        s.replies_seen.fetch_add(1, std::memory_order_relaxed);
        if (plan.in_window(now)) {
            ++s.tally.completed;
            s.tally.latency.record(now - started_at);
        }
    }
}

net::awaitable<void> recheck_connections(shard& s) {
    const phase_member member(s);
    reply_reader reader(1);
    while (s.next_socket < s.sockets.size() && !s.deadline_passed) {
        tcp::socket& socket = s.sockets[s.next_socket++];
        if (!socket.is_open()) {
            continue;  // failed to open; already counted
        }
        const auto sent_at = steady_clock::now();
        const failure result = co_await ask_time(s, socket, reader);
        switch (result) {
        case failure::none:
            ++s.tally.answered;
            s.tally.latency.record(steady_clock::now() - sent_at);
            continue;
        case failure::early_close:
            ++s.tally.dropped;  // the server closed it while it was held
            break;
        case failure::timeout:
            ++s.tally.unanswered;
            break;
        default:
            s.count(result);
            break;
        }
        close_socket(socket);
        reader.validator = {};
    }
}

net::awaitable<void> enforce_deadline(shard& s, steady_clock::time_point deadline) {
    s.deadline_timer.expires_at(deadline);
    if (s.running.load(std::memory_order_relaxed) == 0) {
        co_return;  // nothing to watch: the phase is already over
    }
    // Sleeps until the deadline; the phase's last coroutine cancels the wait
    // when it ends first.
    auto [error] = co_await s.deadline_timer.async_wait(use_tuple);
    if (error) {
        co_return;
    }
    s.deadline_passed = true;
    for (auto& socket : s.sockets) {
        close_socket(socket);
    }
}

}  // namespace time_tools
