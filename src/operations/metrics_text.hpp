// metrics_text.hpp - the Prometheus text exposition format (version 0.0.4)
// of everything the server exports; docs/deploy.md says what each means.
// No I/O here: metrics_endpoint.cpp serves what this writes.
#pragma once

#include "process_usage.hpp"
#include "server_metrics.hpp"

#include <cstddef>
#include <string>
#include <string_view>

namespace time_server {

inline constexpr std::string_view metrics_content_type = "text/plain; version=0.0.4; charset=utf-8";

// What a scrape reports besides the counters.
struct metrics_state {
    metrics_snapshot counted;
    std::size_t connections_active = 0;
    std::size_t connections_max = 0;
    process_usage process;
    double process_start_time_seconds = 0;  // since the Unix epoch
    std::string_view version;               // time_server_build_info's labels
    std::string_view backend;
};

std::string metrics_text(const metrics_state& state);

}  // namespace time_server
