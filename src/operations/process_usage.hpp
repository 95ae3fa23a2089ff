// process_usage.hpp - the standard process_* metrics every Prometheus client
// library exports, read from /proc and getrusage(2) at scrape time.
#pragma once

#include <cstdint>

namespace time_server {

struct process_usage {
    std::uint64_t resident_memory_bytes = 0;
    std::uint64_t open_fds = 0;
    std::uint64_t max_fds = 0;  // the soft RLIMIT_NOFILE
    double cpu_seconds = 0;     // user + system
};

// What the process uses now. A figure that cannot be read is 0 (a /proc
// mounted without this process's entries, say).
process_usage read_process_usage();

}  // namespace time_server
