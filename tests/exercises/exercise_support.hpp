// exercise_support.hpp - what the exercise tests of docs/exercises.md share:
// a server configuration built from command-line flags, so that a test can ask
// for a flag an exercise adds and still compile before the exercise is solved.
#pragma once

#include "config.hpp"

#include <initializer_list>
#include <string>

namespace exercise_support {

// The fixture's configuration (127.0.0.1, an OS-chosen port, two threads,
// UTC) with `flags` added, read by the server's own parse_command_line().
// FAILs the test, showing the parser's message, when it rejects a flag:
// before an exercise is solved, the flag it adds does not exist yet.
time_server::server_config config_from_flags(std::initializer_list<std::string> flags);

}  // namespace exercise_support
