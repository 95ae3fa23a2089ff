// server_process.cpp - fork and exec (posix_spawn cannot set a resource limit),
// polling with deadlines, and a SIGKILL in the destructor so no server outlives its test.
#include "server_process.hpp"

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

extern char** environ;

namespace faults {

namespace {

using steady = std::chrono::steady_clock;

int decode(int status) {
    if (WIFEXITED(status)) {
        return WEXITSTATUS(status);
    }
    return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : -1;
}

std::string temporary_file(const char* stem, int& fd) {
    auto pattern = (std::filesystem::temp_directory_path() / (std::string(stem) + "-XXXXXX")).string();
    fd = ::mkostemp(pattern.data(), O_CLOEXEC);
    REQUIRE(fd >= 0);
    return pattern;
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

std::size_t count_lines_containing(const std::string& text, std::string_view needle) {
    std::size_t count = 0;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        count += line.find(needle) != std::string::npos ? 1 : 0;
    }
    return count;
}

std::string last_lines(const std::string& text, std::size_t lines) {
    auto at = text.size();
    for (std::size_t seen = 0; at > 0 && seen <= lines; --at) {
        seen += text[at - 1] == '\n' ? 1 : 0;
    }
    return text.substr(at);
}

}  // namespace

bool is_time_reply(std::string_view line) {
    constexpr std::string_view shape = "JAM 00:00:00\r\n";  // 0 stands for any digit
    return line.size() == shape.size() && std::equal(shape.begin(), shape.end(), line.begin(), [](char want, char got) {
               return want == '0' ? got >= '0' && got <= '9' : want == got;
           });
}

server_process::server_process(const std::string& binary, const std::vector<std::string>& args,
                               std::optional<rlim_t> open_file_limit) {
    int out_fd = -1;
    int err_fd = -1;
    out_path_ = temporary_file("faults-stdout", out_fd);
    err_path_ = temporary_file("faults-stderr", err_fd);

    // Everything the child needs is built before fork: between fork and exec
    // only async-signal-safe calls are allowed (the test may have threads).
    std::vector<std::string> argv_strings{binary};
    argv_strings.insert(argv_strings.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& arg : argv_strings) {
        argv.push_back(arg.data());
    }
    argv.push_back(nullptr);

    // A leak makes an ASan build's exit code non-zero; make sure the check
    // runs whatever the caller's ASAN_OPTIONS say (other binaries ignore it).
    std::vector<std::string> env_strings;
    std::string asan_options = "ASAN_OPTIONS=";
    for (char** entry = environ; *entry != nullptr; ++entry) {
        const std::string_view text(*entry);
        if (text.starts_with("ASAN_OPTIONS=")) {
            asan_options = std::string(text) + ":";
        } else {
            env_strings.emplace_back(text);
        }
    }
    env_strings.push_back(asan_options + "detect_leaks=1");
    std::vector<char*> envp;
    for (auto& entry : env_strings) {
        envp.push_back(entry.data());
    }
    envp.push_back(nullptr);
    const rlimit limit{open_file_limit.value_or(0), open_file_limit.value_or(0)};

    pid_ = ::fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
        // The child: default signal handling, nothing blocked, whatever the
        // test runner set up for itself.
        sigset_t none;
        sigemptyset(&none);
        ::sigprocmask(SIG_SETMASK, &none, nullptr);
        ::signal(SIGPIPE, SIG_DFL);
        ::signal(SIGTERM, SIG_DFL);
        ::signal(SIGINT, SIG_DFL);
        const int null_fd = ::open("/dev/null", O_RDONLY);
        if (null_fd < 0 || ::dup2(null_fd, STDIN_FILENO) < 0 || ::dup2(out_fd, STDOUT_FILENO) < 0 ||
            ::dup2(err_fd, STDERR_FILENO) < 0) {
            ::_exit(126);
        }
        ::close(null_fd);
        if (open_file_limit && ::setrlimit(RLIMIT_NOFILE, &limit) != 0) {
            ::_exit(125);
        }
        ::execve(argv[0], argv.data(), envp.data());
        ::_exit(127);
    }
    ::close(out_fd);
    ::close(err_fd);
}

server_process::~server_process() {
    if (pid_ > 0 && !exit_code_) {
        ::kill(pid_, SIGKILL);
        int status = 0;
        ::waitpid(pid_, &status, 0);
    }
    std::error_code ignored;
    std::filesystem::remove(out_path_, ignored);
    std::filesystem::remove(err_path_, ignored);
}

std::uint16_t server_process::wait_for_port(std::chrono::milliseconds timeout) {
    constexpr std::string_view announcement = "mendengarkan di port ";
    const auto deadline = steady::now() + timeout;
    for (;;) {
        const auto text = log_text();
        // Parsed by hand: std::regex trips GCC 12's -Wmaybe-uninitialized
        // under the asan preset's -O2, and warnings are errors.
        if (const auto at = text.find(announcement); at != std::string::npos) {
            const auto digits = text.substr(at + announcement.size(), 5);
            const auto port = std::atoi(digits.c_str());
            REQUIRE(port > 0);
            REQUIRE(port < 65536);
            return static_cast<std::uint16_t>(port);
        }
        if (steady::now() >= deadline || wait_exit(std::chrono::milliseconds(0))) {
            FAIL("the server announced no port within " << timeout.count() << " ms\n" << tail());
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
}

std::string server_process::log_text() const {
    return read_file(out_path_);
}

std::string server_process::error_text() const {
    return read_file(err_path_);
}

std::size_t server_process::count_in_log(std::string_view text) const {
    return count_lines_containing(log_text(), text);
}

bool server_process::wait_for_log(std::string_view text, std::size_t count, std::chrono::milliseconds timeout) const {
    const auto deadline = steady::now() + timeout;
    while (count_in_log(text) < count) {
        if (steady::now() >= deadline) {
            return false;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return true;
}

void server_process::send_signal(int signal_number) {
    REQUIRE(pid_ > 0);
    REQUIRE(!exit_code_);
    REQUIRE(::kill(pid_, signal_number) == 0);
}

std::optional<int> server_process::wait_exit(std::chrono::milliseconds timeout) {
    const auto deadline = steady::now() + timeout;
    while (!exit_code_) {
        int status = 0;
        const auto done = ::waitpid(pid_, &status, WNOHANG);
        if (done == pid_) {
            exit_code_ = decode(status);
        } else if (steady::now() >= deadline) {
            break;
        } else {
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
    }
    return exit_code_;
}

std::string server_process::tail(std::size_t lines) const {
    return "--- log (last lines) ---\n" + last_lines(log_text(), lines) + "--- stderr (last lines) ---\n" +
           last_lines(error_text(), lines);
}

}  // namespace faults
