// metrics_text.cpp - one HELP, one TYPE and the samples of each family.
#include "metrics_text.hpp"

#include <fmt/format.h>

#include <iterator>

namespace time_server {

namespace {

using out = std::back_insert_iterator<std::string>;

void family(out to, std::string_view name, std::string_view type, std::string_view help) {
    fmt::format_to(to, "# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

template <typename Value>
void sample(out to, std::string_view name, Value value) {
    fmt::format_to(to, "{} {}\n", name, value);
}

// Label values here are the server's own words, never a client's bytes: no
// escaping needed, and no client address can get in.
template <typename Value>
void sample(out to, std::string_view name, std::string_view label, std::string_view label_value, Value value) {
    fmt::format_to(to, "{}{{{}=\"{}\"}} {}\n", name, label, label_value, value);
}

}  // namespace

std::string metrics_text(const metrics_state& state) {
    std::string text;
    text.reserve(4096);
    const out to(text);
    const auto& counted = state.counted;

    family(to, "time_server_connections_accepted_total", "counter",
           "Connections the accept loop took, refused ones included.");
    sample(to, "time_server_connections_accepted_total", counted.connections_accepted);
    family(to, "time_server_connections_refused_total", "counter",
           "Connections refused because --max-connections sessions were open.");
    sample(to, "time_server_connections_refused_total", counted.connections_refused);
    family(to, "time_server_connections_active", "gauge", "Sessions open now.");
    sample(to, "time_server_connections_active", state.connections_active);
    family(to, "time_server_connections_max", "gauge", "Sessions allowed at once (--max-connections).");
    sample(to, "time_server_connections_max", state.connections_max);

    family(to, "time_server_requests_total", "counter",
           "Requests answered, by command (empty lines are not requests).");
    for (std::size_t i = 0; i < counted_command_labels.size(); ++i) {
        sample(to, "time_server_requests_total", "command", counted_command_labels.at(i), counted.requests.at(i));
    }
    family(to, "time_server_sessions_ended_total", "counter", "Sessions ended, by how they ended.");
    for (std::size_t i = 0; i < session_end_labels.size(); ++i) {
        sample(to, "time_server_sessions_ended_total", "reason", session_end_labels.at(i),
               counted.sessions_ended.at(i));
    }
    family(to, "time_server_accept_errors_total", "counter",
           "Accepts that failed (out of descriptors: every retry); a client that gave up while queued is not one.");
    sample(to, "time_server_accept_errors_total", counted.accept_errors);
    family(to, "time_server_build_info", "gauge", "Always 1; the labels say which build runs.");
    fmt::format_to(to, "time_server_build_info{{version=\"{}\",backend=\"{}\"}} 1\n", state.version, state.backend);

    const auto& process = state.process;
    family(to, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.");
    sample(to, "process_resident_memory_bytes", process.resident_memory_bytes);
    family(to, "process_open_fds", "gauge", "Number of open file descriptors.");
    sample(to, "process_open_fds", process.open_fds);
    family(to, "process_max_fds", "gauge", "Maximum number of open file descriptors.");
    sample(to, "process_max_fds", process.max_fds);
    family(to, "process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.");
    sample(to, "process_cpu_seconds_total", process.cpu_seconds);
    family(to, "process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.");
    sample(to, "process_start_time_seconds", state.process_start_time_seconds);
    return text;
}

}  // namespace time_server
