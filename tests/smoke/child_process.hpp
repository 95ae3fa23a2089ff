// child_process.hpp - runs a program with its stdout and stderr on pipes, with
// deadlines on every wait; a child still running at the end is killed.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace smoke {

class child_process {
public:
    // Starts `program` with `args` (argv[0] is added), stdin from /dev/null;
    // `environment` entries ("TZ=UTC") are added to this process's own.
    child_process(const std::string& program, const std::vector<std::string>& args,
                  const std::vector<std::string>& environment = {});
    ~child_process();

    child_process(const child_process&) = delete;
    child_process& operator=(const child_process&) = delete;

    // The exit code (128 + the signal when a signal ended it) if the child
    // ends within `timeout`; its output is read meanwhile, to the end.
    std::optional<int> wait_exit(std::chrono::milliseconds timeout);

    // The next complete stdout line (without its LF), waiting until `timeout`.
    std::optional<std::string> next_stdout_line(std::chrono::milliseconds timeout);

    // Skips stdout lines until one contains `text`; returns it.
    std::optional<std::string> wait_stdout_line_containing(const std::string& text, std::chrono::milliseconds timeout);

    void send_signal(int signal_number);

    const std::string& stdout_text() const { return out_; }
    const std::string& stderr_text() const { return err_; }

private:
    // Reads whatever the pipes have, waiting at most until `deadline`;
    // false once both pipes are at EOF.
    bool pump(std::chrono::steady_clock::time_point deadline);

    pid_t pid_ = -1;
    std::optional<int> exit_code_;
    int out_fd_ = -1;
    int err_fd_ = -1;
    std::string out_;
    std::string err_;
    std::size_t out_consumed_ = 0;  // bytes of out_ already returned as lines
};

}  // namespace smoke
