// run_server.hpp - the server as a process: threads, signals, exit code.
#pragma once

#include "config.hpp"

namespace time_server {

// Runs the server as the command line asked until SIGINT or SIGTERM; returns
// the process's exit code.
int run_server(const server_config& command_line);

}  // namespace time_server
