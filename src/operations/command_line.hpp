// command_line.hpp - the flags of time_server, read with CLI11 into a
// server_config.
#pragma once

#include "config.hpp"

#include <iosfwd>
#include <optional>
#include <variant>

namespace CLI {
class App;
}

namespace time_server {

// Parses argv with `app` the way every program of the project does: --help
// and --version print to `out` and give 0; a bad flag is one line on `err`,
// "<program>: <error> (see --help)", and gives 2. Nothing when the program
// should go on and run.
std::optional<int> parse_flags(CLI::App& app, int argc, const char* const* argv, std::ostream& out, std::ostream& err);

// The project's version, as CMake's project() gives it.
const char* version();

// Either the configuration to run with, or the exit code to leave with once
// --help or --version has printed its text (0) or a bad flag its error (2).
// Help and version go to `out`; an error is one line on `err`.
std::variant<server_config, int> parse_command_line(int argc, const char* const* argv, std::ostream& out,
                                                    std::ostream& err);

}  // namespace time_server
