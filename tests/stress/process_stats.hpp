// process_stats.hpp - what /proc says about a process (resident memory, CPU
// time), and whether this build is sanitized, for the stress and fault tests.
#pragma once

#include <sys/types.h>
#include <unistd.h>

#include <cstdint>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

namespace process_stats {

// ASan and TSan keep shadow memory and quarantines, so resident memory says
// little about the program's own use; RSS bounds are skipped under them.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
inline constexpr bool sanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
inline constexpr bool sanitized = true;
#else
inline constexpr bool sanitized = false;
#endif
#else
inline constexpr bool sanitized = false;
#endif

// ASan alone, whatever the compiler (the asan preset adds UBSan to it).
#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool address_sanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
inline constexpr bool address_sanitized = true;
#else
inline constexpr bool address_sanitized = false;
#endif
#else
inline constexpr bool address_sanitized = false;
#endif

inline std::string proc_path(pid_t pid, const char* file) {
    return pid == 0 ? std::string("/proc/self/") + file : "/proc/" + std::to_string(pid) + "/" + file;
}

// VmRSS of `pid` (0: this process) in bytes; nothing if /proc cannot tell.
inline std::optional<std::uint64_t> resident_bytes(pid_t pid = 0) {
    std::ifstream status(proc_path(pid, "status"));
    for (std::string line; std::getline(status, line);) {
        if (line.rfind("VmRSS:", 0) == 0) {
            std::istringstream fields(line.substr(6));
            std::uint64_t kib = 0;
            if (fields >> kib) {
                return kib * 1024;
            }
        }
    }
    return std::nullopt;
}

// utime + stime of `pid` (0: this process) in clock ticks, fields 14 and 15
// of /proc/PID/stat; nothing if the process is gone.
inline std::optional<std::uint64_t> cpu_ticks(pid_t pid = 0) {
    std::ifstream stat(proc_path(pid, "stat"));
    std::string text;
    if (!std::getline(stat, text)) {
        return std::nullopt;
    }
    // The command name (field 2) may hold spaces and parentheses; the fields
    // after the last ')' are plain numbers, starting with field 3.
    const auto name_end = text.rfind(')');
    if (name_end == std::string::npos) {
        return std::nullopt;
    }
    std::istringstream fields(text.substr(name_end + 1));
    std::string skipped;
    for (int field = 3; field < 14; ++field) {
        fields >> skipped;
    }
    std::uint64_t user = 0;
    std::uint64_t system = 0;
    if (!(fields >> user >> system)) {
        return std::nullopt;
    }
    return user + system;
}

inline long ticks_per_second() {
    return ::sysconf(_SC_CLK_TCK);
}

}  // namespace process_stats
