// child_process.cpp - posix_spawn with pipes, poll() with deadlines, and a
// SIGKILL in the destructor so that no test leaves a server running.
#include "child_process.hpp"

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <thread>

extern char** environ;

namespace smoke {

namespace {

using steady = std::chrono::steady_clock;

int decode(int status) {
    if (WIFEXITED(status)) {
        return WEXITSTATUS(status);
    }
    if (WIFSIGNALED(status)) {
        return 128 + WTERMSIG(status);
    }
    return -1;
}

// This process's environment with `extra` entries added, replacing any
// entry of the same name.
std::vector<std::string> merged_environment(const std::vector<std::string>& extra) {
    std::vector<std::string> result;
    const auto name_of = [](const std::string& entry) { return entry.substr(0, entry.find('=')); };
    for (char** entry = environ; *entry != nullptr; ++entry) {
        const std::string text(*entry);
        const bool replaced = std::any_of(extra.begin(), extra.end(),
                                          [&](const std::string& e) { return name_of(e) == name_of(text); });
        if (!replaced) {
            result.push_back(text);
        }
    }
    result.insert(result.end(), extra.begin(), extra.end());
    return result;
}

std::vector<char*> as_argv(std::vector<std::string>& strings) {
    std::vector<char*> pointers;
    for (auto& s : strings) {
        pointers.push_back(s.data());
    }
    pointers.push_back(nullptr);
    return pointers;
}

}  // namespace

child_process::child_process(const std::string& program, const std::vector<std::string>& args,
                             const std::vector<std::string>& environment) {
    std::array<int, 2> out_pipe{};
    std::array<int, 2> err_pipe{};
    REQUIRE(::pipe2(out_pipe.data(), O_CLOEXEC) == 0);
    REQUIRE(::pipe2(err_pipe.data(), O_CLOEXEC) == 0);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, out_pipe[1], STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions, err_pipe[1], STDERR_FILENO);

    // The child starts with default signal handling and nothing blocked,
    // whatever the test runner has set up for itself.
    posix_spawnattr_t attributes;
    posix_spawnattr_init(&attributes);
    sigset_t defaults;
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGTERM);
    sigaddset(&defaults, SIGINT);
    sigaddset(&defaults, SIGPIPE);
    posix_spawnattr_setsigdefault(&attributes, &defaults);
    sigset_t none;
    sigemptyset(&none);
    posix_spawnattr_setsigmask(&attributes, &none);
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);

    std::vector<std::string> argv_strings{program};
    argv_strings.insert(argv_strings.end(), args.begin(), args.end());
    auto env_strings = merged_environment(environment);
    auto argv = as_argv(argv_strings);
    auto envp = as_argv(env_strings);
    const int error = ::posix_spawn(&pid_, program.c_str(), &actions, &attributes, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
    ::close(out_pipe[1]);
    ::close(err_pipe[1]);
    out_fd_ = out_pipe[0];
    err_fd_ = err_pipe[0];
    if (error != 0) {
        pid_ = -1;
        FAIL("cannot start " << program << ": " << std::strerror(error));
    }
}

child_process::~child_process() {
    if (pid_ > 0 && !exit_code_) {
        ::kill(pid_, SIGKILL);
        int status = 0;
        ::waitpid(pid_, &status, 0);
    }
    for (const int fd : {out_fd_, err_fd_}) {
        if (fd >= 0) {
            ::close(fd);
        }
    }
}

bool child_process::pump(steady::time_point deadline) {
    std::array<pollfd, 2> fds{pollfd{out_fd_, POLLIN, 0}, pollfd{err_fd_, POLLIN, 0}};
    if (out_fd_ < 0 && err_fd_ < 0) {
        return false;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - steady::now()).count();
    const int ready = ::poll(fds.data(), fds.size(), static_cast<int>(std::clamp<long long>(left, 0, 1000)));
    if (ready <= 0) {
        return true;
    }
    std::array<char, 4096> chunk;
    const auto read_into = [&](int& fd, short revents, std::string& text) {
        if (fd < 0 || revents == 0) {
            return;
        }
        const auto n = ::read(fd, chunk.data(), chunk.size());
        if (n > 0) {
            text.append(chunk.data(), static_cast<std::size_t>(n));
        } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
            ::close(fd);
            fd = -1;
        }
    };
    read_into(out_fd_, fds[0].revents, out_);
    read_into(err_fd_, fds[1].revents, err_);
    return out_fd_ >= 0 || err_fd_ >= 0;
}

std::optional<int> child_process::wait_exit(std::chrono::milliseconds timeout) {
    const auto deadline = steady::now() + timeout;
    for (;;) {
        if (!exit_code_) {
            int status = 0;
            if (::waitpid(pid_, &status, WNOHANG) == pid_) {
                exit_code_ = decode(status);
            }
        }
        if (exit_code_) {
            // The child is gone; its last output is still in the pipes.
            const auto drain_deadline = steady::now() + std::chrono::seconds(2);
            while (pump(drain_deadline) && steady::now() < drain_deadline) {
            }
            return exit_code_;
        }
        if (steady::now() >= deadline) {
            return std::nullopt;
        }
        if (!pump(std::min(deadline, steady::now() + std::chrono::milliseconds(5)))) {
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
        }
    }
}

std::optional<std::string> child_process::next_stdout_line(std::chrono::milliseconds timeout) {
    const auto deadline = steady::now() + timeout;
    for (;;) {
        const auto lf = out_.find('\n', out_consumed_);
        if (lf != std::string::npos) {
            std::string line = out_.substr(out_consumed_, lf - out_consumed_);
            out_consumed_ = lf + 1;
            return line;
        }
        if (steady::now() >= deadline || !pump(deadline)) {
            return std::nullopt;
        }
    }
}

std::optional<std::string> child_process::wait_stdout_line_containing(const std::string& text,
                                                                      std::chrono::milliseconds timeout) {
    const auto deadline = steady::now() + timeout;
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - steady::now());
        auto line = next_stdout_line(std::max(left, std::chrono::milliseconds(0)));
        if (!line || line->find(text) != std::string::npos) {
            return line;
        }
    }
}

void child_process::send_signal(int signal_number) {
    REQUIRE(pid_ > 0);
    REQUIRE(!exit_code_);
    REQUIRE(::kill(pid_, signal_number) == 0);
}

}  // namespace smoke
