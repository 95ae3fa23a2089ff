// session_registry.cpp - admission, idle sweep and shutdown of sessions.
#include "session_registry.hpp"

#include <boost/asio/post.hpp>

namespace time_server {

namespace net = boost::asio;

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
    for (auto& [id, session] : entries_) {
        if (!session->close_posted_ && session->deadline_.load(entry::relaxed) <= now_ticks) {
            session->close_posted_ = true;
            net::post(session->socket_.get_executor(),
                      [this, id = id] { close_on_strand(id, close_reason::idle_timeout); });
        }
    }
}

void session_registry::close_all() {
    std::lock_guard lock(mutex_);
    closing_all_ = true;
    for (auto& [id, session] : entries_) {
        // Even a session already told to close for idleness gets this: the
        // latest reason wins, and closing twice is harmless.
        session->close_posted_ = true;
        net::post(session->socket_.get_executor(), [this, id = id] { close_on_strand(id, close_reason::shutdown); });
    }
}

bool session_registry::is_closing() const {
    std::lock_guard lock(mutex_);
    return closing_all_;
}

// Runs on the session's strand, so the session's coroutine is suspended (it
// cannot run on two threads) and its frame, which owns the socket, is alive
// exactly when its id is still registered: the entry leaves the map on this
// same strand before the frame goes away.
void session_registry::close_on_strand(std::uint64_t id, close_reason reason) {
    std::lock_guard lock(mutex_);
    const auto found = entries_.find(id);
    if (found == entries_.end()) {
        return;
    }
    found->second->reason_ = reason;
    boost::system::error_code ignored;
    found->second->socket_.close(ignored);  // the pending read or write ends with operation_aborted
}

session_registry::entry::entry(session_registry& registry, net::ip::tcp::socket& socket)
    : registry_(registry),
      socket_(socket),
      deadline_((clock::now() + registry.idle_timeout_).time_since_epoch().count()) {
    std::lock_guard lock(registry_.mutex_);
    id_ = registry_.next_id_++;
    registry_.entries_.emplace(id_, this);
    if (registry_.closing_all_) {
        // Shutdown began between accept and now: close on this strand at once.
        reason_ = close_reason::shutdown;
        boost::system::error_code ignored;
        socket_.close(ignored);
    }
}

void session_registry::entry::expire_within(clock::duration time) {
    const auto deadline = (clock::now() + time).time_since_epoch().count();
    if (deadline < deadline_.load(relaxed)) {
        deadline_.store(deadline, relaxed);
    }
}

session_registry::entry::~entry() {
    {
        std::lock_guard lock(registry_.mutex_);
        registry_.entries_.erase(id_);
    }
    registry_.admitted_.fetch_sub(1, std::memory_order_relaxed);
}

}  // namespace time_server
