// wait.hpp - polling with a deadline, for conditions that no event announces
// (a session count, a socket state): never a fixed sleep, never forever.
#pragma once

#include <chrono>
#include <thread>

namespace test_support {

// Checks `done` every few milliseconds until it holds or `timeout` passes;
// returns its last answer.
template <typename Predicate>
bool wait_until(Predicate done, std::chrono::milliseconds timeout,
                std::chrono::milliseconds poll_period = std::chrono::milliseconds(5)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done()) {
        if (std::chrono::steady_clock::now() >= deadline) {
            return done();
        }
        std::this_thread::sleep_for(poll_period);
    }
    return true;
}

}  // namespace test_support
