// server_context.hpp - what every session and the accept loop share: the
// configuration, the log, the clock, the registry of live sessions and the
// metrics' counters.
// Owned by `server`; it outlives every coroutine that holds a reference.
#pragma once

#include "config.hpp"
#include "server_metrics.hpp"
#include "session_registry.hpp"
#include "time_of_day.hpp"

#include <spdlog/logger.h>

namespace time_server {

struct server_context {
    const server_config& config;
    spdlog::logger& log;
    const wall_clock& clock;
    session_registry& registry;
    server_metrics& metrics;
};

}  // namespace time_server
