// session_registry.hpp - the live sessions, seen from outside them: how many
// there are (--max-connections), which ones have been idle too long, and all
// of them at shutdown; and the watchdog coroutine that sweeps them.
//
// The registry never touches a session's socket object, which belongs to the
// session's coroutine alone. To end a session it shuts the connection down at
// the operating-system level (shutdown(2) on the descriptor, which is safe from
// any thread): the session's pending read or write then completes, the
// session sees why in its entry, and it closes its socket itself. So a session
// needs no strand: only one of its operations is ever pending, and nothing
// else uses its socket.
#pragma once

#include "session_socket.hpp"

#include <boost/intrusive/list.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <mutex>

namespace time_server {

// Why the registry ended a session; the session logs accordingly.
enum class close_reason { none, idle_timeout, shutdown };

class session_registry {
public:
    using clock = std::chrono::steady_clock;
    class entry;

    // The watchdog sweeps a quarter of the idle timeout apart, but never more
    // often than every 10 ms nor less often than every 100 ms. So an idle
    // session is closed at most one period after its timeout (1.25 timeouts
    // for timeouts of 40 ms and more, the timeout plus 10 ms below that), and a
    // bounded close (expire_within) ends at most 100 ms early.
    static constexpr auto min_sweep_period = std::chrono::milliseconds(10);
    static constexpr auto max_sweep_period = std::chrono::milliseconds(100);
    static clock::duration sweep_period(clock::duration idle_timeout);

    session_registry(std::size_t max_sessions, clock::duration idle_timeout)
        : max_sessions_(max_sessions), idle_timeout_(idle_timeout) {}

    // The accept loop asks before it spawns a session; a yes counts the
    // session from then until its entry is destroyed.
    bool try_admit();

    // Sessions admitted and not yet ended (refusals are not counted).
    std::size_t size() const { return admitted_.load(std::memory_order_relaxed); }

    // Ends every session whose deadline has passed: its last complete line is
    // older than the idle timeout, or it asked for a bounded close.
    void close_expired(clock::time_point now);

    // Ends every session, and any session that registers from now on. Once
    // the last one has left, calls `on_drained` (once, on the thread where
    // that happens, under the registry's lock: it must only post work).
    void close_all(std::function<void()> on_drained = {});

    // Whether close_all() has been called: the server is stopping.
    bool is_closing() const;

private:
    // An intrusive list: registering a session allocates nothing.
    using entry_list = boost::intrusive::list<entry, boost::intrusive::base_hook<boost::intrusive::list_base_hook<>>,
                                              boost::intrusive::constant_time_size<false>>;

    static void end(entry& session, close_reason reason);  // with mutex_ held
    void notify_if_drained();                              // with mutex_ held

    const std::size_t max_sessions_;
    const clock::duration idle_timeout_;
    std::atomic<std::size_t> admitted_{0};
    mutable std::mutex mutex_;  // guards everything below, and every entry's link
    entry_list entries_;
    bool closing_all_ = false;
    std::function<void()> on_drained_;
};

// A session's membership, alive as long as its coroutine runs. Every session
// has one, a refusal too, so that the watchdog bounds its lingering close and
// close_all() reaches it.
class session_registry::entry : public boost::intrusive::list_base_hook<> {
public:
    // `admitted`: the accept loop's try_admit() said yes (false for a refusal).
    entry(session_registry& registry, session_socket& socket, bool admitted = true);
    ~entry();
    entry(const entry&) = delete;
    entry& operator=(const entry&) = delete;

    // A complete line arrived: the idle clock starts again.
    void touch() { deadline_.store((clock::now() + registry_.idle_timeout_).time_since_epoch().count(), relaxed); }

    // Be ended by the watchdog within `time` at the latest (a lingering
    // close), and not more than max_sweep_period earlier. Only ever brings
    // the deadline closer.
    void expire_within(clock::duration time);

    // The same, but in place of the idle timeout, even if that is shorter: a
    // deadline of its own (the PROXY header's), until the next touch().
    void replace_deadline_within(clock::duration time);

    // The admission goes to the entry that the session registers next, and
    // this one, when destroyed, leaves the count alone: a PROXY connection
    // registers once to read its header and again as the session it becomes.
    void hand_over_admission() { counted_ = false; }

    // Why the registry ended the session; none if it did not.
    close_reason reason() const { return reason_.load(std::memory_order_acquire); }

    // Leaves the registry, then closes the socket. In this order the registry
    // can never shut down a descriptor number that the kernel has already
    // given to a newer connection.
    void close(session_socket& socket);

private:
    friend class session_registry;
    void leave();

    static constexpr auto relaxed = std::memory_order_relaxed;  // a lone value: no ordering needed
    session_registry& registry_;
    const session_socket::native_handle_type descriptor_;
    bool counted_;  // in registry_.admitted_
    std::atomic<close_reason> reason_{close_reason::none};
    std::atomic<clock::rep> deadline_;
};

// The watchdog: every sweep_period(), closes the sessions whose deadline has
// passed. One timer for all sessions: reading a line costs a clock read, not
// a timer, and no coroutine is spawned per request. Ends when the timer is
// cancelled or close_all() has been called.
control_task<void> watch_idle_sessions(control_timer& timer, session_registry& registry,
                                       session_registry::clock::duration idle_timeout);

}  // namespace time_server
