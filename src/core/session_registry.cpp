// session_registry.cpp - admission, idle sweep and shutdown of sessions, and
// the watchdog that drives the sweep.
#include "session_registry.hpp"

#include <sys/socket.h>

#include <algorithm>

namespace time_server {

session_registry::clock::duration session_registry::sweep_period(clock::duration idle_timeout) {
    return std::clamp<clock::duration>(idle_timeout / 4, min_sweep_period, max_sweep_period);
}

bool session_registry::try_admit() {
    auto count = admitted_.load(std::memory_order_relaxed);
    do {
        if (count >= max_sessions_) {
            return false;
        }
    } while (!admitted_.compare_exchange_weak(count, count + 1, std::memory_order_relaxed));
    return true;
}

void session_registry::close_expired(clock::time_point now) {
    const auto now_ticks = now.time_since_epoch().count();
    std::lock_guard lock(mutex_);
    for (auto& session : entries_) {
        if (session.reason_.load(entry::relaxed) == close_reason::none &&
            session.deadline_.load(entry::relaxed) <= now_ticks) {
            end(session, close_reason::idle_timeout);
        }
    }
}

void session_registry::close_all(std::function<void()> on_drained) {
    std::lock_guard lock(mutex_);
    if (closing_all_) {
        return;  // stop() was called before: its handler stands
    }
    closing_all_ = true;
    on_drained_ = std::move(on_drained);
    for (auto& session : entries_) {
        // Even a session already ended for idleness gets this: the latest
        // reason wins, and shutting down twice is harmless.
        end(session, close_reason::shutdown);
    }
    notify_if_drained();
}

bool session_registry::is_closing() const {
    std::lock_guard lock(mutex_);
    return closing_all_;
}

// The session is registered, so its descriptor is still its own: it leaves the
// registry (under mutex_) before it closes its socket. shutdown(2) ends the
// connection both ways and wakes the session's pending read (end of stream)
// or write (broken pipe); the session reads the reason and closes its socket.
void session_registry::end(entry& session, close_reason reason) {
    session.reason_.store(reason, std::memory_order_release);
    ::shutdown(session.descriptor_, SHUT_RDWR);
}

void session_registry::notify_if_drained() {
    if (closing_all_ && entries_.empty() && on_drained_) {
        std::exchange(on_drained_, nullptr)();
    }
}

session_registry::entry::entry(session_registry& registry, session_socket& socket, bool admitted)
    : registry_(registry),
      descriptor_(socket.native_handle()),
      counted_(admitted),
      deadline_((clock::now() + registry.idle_timeout_).time_since_epoch().count()) {
    std::lock_guard lock(registry_.mutex_);
    registry_.entries_.push_back(*this);
    if (registry_.closing_all_) {
        end(*this, close_reason::shutdown);  // shutdown began between accept and now
    }
}

namespace {

// The watchdog sees a deadline up to one sweep period late.
session_registry::clock::rep deadline_within(session_registry::clock::duration time) {
    return (session_registry::clock::now() + time - session_registry::max_sweep_period).time_since_epoch().count();
}

}  // namespace

void session_registry::entry::expire_within(clock::duration time) {
    const auto deadline = deadline_within(time);
    if (deadline < deadline_.load(relaxed)) {
        deadline_.store(deadline, relaxed);
    }
}

void session_registry::entry::replace_deadline_within(clock::duration time) {
    deadline_.store(deadline_within(time), relaxed);
}

void session_registry::entry::leave() {
    std::lock_guard lock(registry_.mutex_);
    if (is_linked()) {
        registry_.entries_.erase(registry_.entries_.iterator_to(*this));
        registry_.notify_if_drained();
    }
}

void session_registry::entry::close(session_socket& socket) {
    leave();
    boost::system::error_code ignored;
    socket.close(ignored);
}

session_registry::entry::~entry() {
    leave();  // still registered if the session ended by an exception
    if (counted_) {
        registry_.admitted_.fetch_sub(1, std::memory_order_relaxed);
    }
}

control_task<void> watch_idle_sessions(control_timer& timer, session_registry& registry,
                                       session_registry::clock::duration idle_timeout) {
    const auto period = session_registry::sweep_period(idle_timeout);
    // server::stop() cancels the timer, but a cancel that arrives after the
    // timer fired (its completion already queued) is lost: hence the check.
    while (!registry.is_closing()) {
        timer.expires_after(period);
        // Suspends the watchdog until the next sweep; sessions go on meanwhile.
        auto [error] = co_await timer.async_wait(use_tuple);
        if (error) {
            co_return;  // stop() cancelled the timer
        }
        registry.close_expired(session_registry::clock::now());
    }
}

}  // namespace time_server
