// config.hpp - every knob of the server in one place, with the unit in each type.
// The command line (command_line.cpp) fills it; tests build one directly with short limits.
#pragma once

#include <spdlog/common.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace time_server {

inline constexpr std::uint16_t default_port = 45000;
inline constexpr std::chrono::seconds default_idle_timeout{300};
inline constexpr std::size_t default_max_line_bytes = 1024;
inline constexpr std::size_t default_max_connections = 10000;
inline constexpr std::chrono::seconds default_proxy_header_timeout{5};
inline constexpr std::chrono::seconds default_accept_failure_limit{10};

struct server_config {
    std::string bind_address = "0.0.0.0";
    std::uint16_t port = default_port;  // 0 asks the OS for a free port (tests use it)
    unsigned threads = 1;               // threads that run the io_context
    bool utc = false;                   // TIME answers in UTC instead of the local zone
    std::chrono::milliseconds idle_timeout = default_idle_timeout;
    std::size_t max_line_bytes = default_max_line_bytes;  // bytes before the LF, a CR included
    std::size_t max_connections = default_max_connections;
    spdlog::level::level_enum log_level = spdlog::level::info;
    bool reuse_port = false;  // SO_REUSEPORT: several processes may serve one port
    // Every connection starts with a PROXY protocol header (v1 or v2), whose
    // source becomes the session's peer; it must be complete within the timeout.
    bool proxy_protocol = false;
    std::chrono::milliseconds proxy_header_timeout = default_proxy_header_timeout;
    // An accept that keeps failing with an error that is not about load (not
    // out of descriptors or memory, not one client's failed handshake) for
    // this long, without one success in between, stops the server with an
    // error: it would accept nobody again, and the service manager restarts it.
    std::chrono::milliseconds accept_failure_limit = default_accept_failure_limit;
    // Listening sockets handed over by systemd (socket activation), served
    // instead of binding bind_address/port; empty when there are none.
    std::vector<int> inherited_listeners;
    // Which of --port, --bind and --reuse-port the command line gave: with
    // inherited listeners they mean nothing, and the server says so.
    std::vector<std::string> listen_flags_given;
    // The Prometheus endpoint (operations/metrics_endpoint.hpp): off without
    // a port; 0 asks the OS for a free one.
    std::optional<std::uint16_t> metrics_port;
    std::string metrics_bind_address = "127.0.0.1";
};

}  // namespace time_server
