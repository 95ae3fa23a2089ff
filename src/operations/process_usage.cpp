// process_usage.cpp - /proc/self and getrusage(2), as client_golang reads them.
#include "process_usage.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <system_error>

namespace time_server {

namespace {

std::uint64_t resident_memory_bytes() {
    // statm: total program size, then resident pages.
    std::ifstream statm("/proc/self/statm");
    std::uint64_t size_pages = 0;
    std::uint64_t resident_pages = 0;
    if (!(statm >> size_pages >> resident_pages)) {
        return 0;
    }
    return resident_pages * static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
}

std::uint64_t open_fds() {
    std::error_code error;
    std::uint64_t count = 0;
    // Counts the directory's own descriptor too, as client_golang does.
    for (std::filesystem::directory_iterator it("/proc/self/fd", error), end; !error && it != end;
         it.increment(error)) {
        ++count;
    }
    return count;
}

}  // namespace

process_usage read_process_usage() {
    process_usage stats;
    stats.resident_memory_bytes = resident_memory_bytes();
    stats.open_fds = open_fds();
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) == 0) {
        stats.max_fds = limit.rlim_cur;
    }
    rusage usage{};
    if (::getrusage(RUSAGE_SELF, &usage) == 0) {
        const auto seconds = [](const timeval& t) {
            return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
        };
        stats.cpu_seconds = seconds(usage.ru_utime) + seconds(usage.ru_stime);
    }
    return stats;
}

}  // namespace time_server
