// server_process.hpp - the real time_server binary as a child process, with an
// optional RLIMIT_NOFILE set in the child before exec and its output in files.
#pragma once

#include <sys/resource.h>
#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace faults {

// Whether `line` is a TIME reply of a real clock: "JAM hh:mm:ss\r\n".
bool is_time_reply(std::string_view line);

class server_process {
public:
    // Starts `binary` with `args`. With `open_file_limit`, the child sets
    // RLIMIT_NOFILE soft and hard to it before exec: the server raises its
    // soft limit to the hard one, so only a low hard limit sticks.
    // stdout and stderr go to temporary files, not pipes: a server logging
    // thousands of lines never blocks on a pipe nobody drains.
    server_process(const std::string& binary, const std::vector<std::string>& args,
                   std::optional<rlim_t> open_file_limit = std::nullopt);
    ~server_process();

    server_process(const server_process&) = delete;
    server_process& operator=(const server_process&) = delete;

    pid_t pid() const { return pid_; }

    // The port from "Time server berjalan dan mendengarkan di port N..."; FAILs
    // if it is not logged within `timeout` (or the child exits first).
    std::uint16_t wait_for_port(std::chrono::milliseconds timeout);

    // Everything written to stdout (the log) and stderr so far.
    std::string log_text() const;
    std::string error_text() const;

    std::size_t count_in_log(std::string_view text) const;

    // Waits until at least `count` log lines contain `text`; false on timeout.
    bool wait_for_log(std::string_view text, std::size_t count, std::chrono::milliseconds timeout) const;

    void send_signal(int signal_number);

    // The exit code (128 + the signal if a signal ended it), if the child
    // ends within `timeout`.
    std::optional<int> wait_exit(std::chrono::milliseconds timeout);

    // The last lines of the log and stderr, for failure messages.
    std::string tail(std::size_t lines = 15) const;

private:
    pid_t pid_ = -1;
    std::optional<int> exit_code_;
    std::string out_path_;
    std::string err_path_;
};

}  // namespace faults
