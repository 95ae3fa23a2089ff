// session_registry.hpp - the live sessions, seen from outside them: how many
// there are (--max-connections), which ones have been idle too long (the
// watchdog), and all of them at shutdown.
//
// The registry never touches a session's socket from its own thread: it posts
// the close to the session's strand, where the session's coroutine runs, so a
// socket is only ever used by one thread at a time.
#pragma once

#include <boost/asio/ip/tcp.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <unordered_map>

namespace time_server {

// Why the registry closed a session's socket; the session logs accordingly.
enum class close_reason { none, idle_timeout, shutdown };

class session_registry {
public:
    using clock = std::chrono::steady_clock;
    class entry;

    session_registry(std::size_t max_sessions, clock::duration idle_timeout)
        : max_sessions_(max_sessions), idle_timeout_(idle_timeout) {}

    // The accept loop asks before it spawns a session; a yes counts the
    // session from then until its entry is destroyed.
    bool try_admit();

    std::size_t size() const { return admitted_.load(std::memory_order_relaxed); }

    // Closes every session whose deadline has passed: its last complete line is
    // older than the idle timeout, or it asked for a bounded close.
    void close_expired(clock::time_point now);

    // Closes every session, and any session that registers from now on.
    void close_all();

    // Whether close_all() has been called: the server is stopping.
    bool is_closing() const;

private:
    void close_on_strand(std::uint64_t id, close_reason reason);

    const std::size_t max_sessions_;
    const clock::duration idle_timeout_;
    std::atomic<std::size_t> admitted_{0};
    mutable std::mutex mutex_;  // guards everything below
    std::unordered_map<std::uint64_t, entry*> entries_;
    std::uint64_t next_id_ = 0;
    bool closing_all_ = false;
};

// A session's membership, alive as long as its coroutine runs. Created and
// destroyed on the session's strand.
class session_registry::entry {
public:
    entry(session_registry& registry, boost::asio::ip::tcp::socket& socket);
    ~entry();
    entry(const entry&) = delete;
    entry& operator=(const entry&) = delete;

    // A complete line arrived: the idle clock starts again.
    void touch() { deadline_.store((clock::now() + registry_.idle_timeout_).time_since_epoch().count(), relaxed); }

    // Be closed by the watchdog within `time` at the latest (a lingering close).
    void expire_within(clock::duration time);

    // Why the registry closed the socket; none if it did not. Strand only.
    close_reason reason() const { return reason_; }

private:
    friend class session_registry;

    session_registry& registry_;
    boost::asio::ip::tcp::socket& socket_;
    std::uint64_t id_;
    static constexpr auto relaxed = std::memory_order_relaxed;  // a lone value: no ordering needed
    std::atomic<clock::rep> deadline_;
    bool close_posted_ = false;  // guarded by the registry's mutex
    close_reason reason_ = close_reason::none;
};

}  // namespace time_server
