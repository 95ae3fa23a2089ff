// running_server.cpp - start and orderly stop of the in-process fixture server;
// a server that does not stop in time fails the test instead of hanging it.
#include "running_server.hpp"

#include "wait.hpp"

#include <catch2/catch.hpp>

namespace test_support {

std::chrono::system_clock::time_point fixed_time() {
    using namespace std::chrono;
    return sys_days{year{2025} / June / 16} + hours{21} + minutes{35} + seconds{10} + milliseconds{333};
}

time_server::server_config test_config() {
    time_server::server_config config;
    config.bind_address = "127.0.0.1";
    config.port = 0;
    config.threads = 2;
    config.utc = true;
    return config;
}

running_server::running_server(time_server::server_config config)
    : config_(std::move(config)), io_(static_cast<int>(config_.threads)), sink_(std::make_shared<log_capture_sink>()) {
    server_ = std::make_unique<time_server::server>(io_, config_, make_capturing_logger(sink_, config_.log_level),
                                                    [] { return fixed_time(); });
    endpoint_ = server_->local_endpoint();
    server_->start();
    for (unsigned i = 0; i < config_.threads; ++i) {
        threads_.emplace_back([this] {
            io_.run();
            threads_finished_.fetch_add(1);
        });
    }
}

running_server::~running_server() {
    if (!threads_.empty()) {
        stop_and_join();
    }
}

bool running_server::wait_for_session_count(std::size_t count, std::chrono::milliseconds timeout) const {
    return wait_until([&] { return server_->session_count() == count; }, timeout);
}

bool running_server::wait_until_finished(std::chrono::milliseconds timeout) const {
    return wait_until([&] { return threads_finished_.load() == threads_.size(); }, timeout);
}

std::chrono::milliseconds running_server::stop_and_join(std::chrono::milliseconds limit) {
    const auto started = std::chrono::steady_clock::now();
    server_->stop();
    const auto thread_count = static_cast<unsigned>(threads_.size());
    const bool finished = wait_until([&] { return threads_finished_.load() == thread_count; }, limit,
                                     std::chrono::milliseconds(1));
    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
    // CHECK, not REQUIRE: this also runs in a destructor, maybe during the
    // unwinding of a failed REQUIRE, where throwing would terminate.
    CHECK(finished);
    if (!finished) {
        UNSCOPED_INFO("the server's threads did not finish within " << limit.count() << " ms of stop()");
        io_.stop();
    }
    for (auto& thread : threads_) {
        thread.join();
    }
    threads_.clear();
    if (!finished) {
        // Coroutine frames still queued in io_ refer to the server and are
        // destroyed with io_, after server_: leak the server rather than let
        // them touch freed memory. The test has failed already.
        static_cast<void>(server_.release());
    }
    return took;
}

}  // namespace test_support
