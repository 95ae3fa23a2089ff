// bench_command_line.hpp - the flags of time_bench, read with CLI11 into
// bench_options.
#pragma once

#include "time_bench.hpp"

#include <iosfwd>
#include <variant>

namespace time_tools {

// Either the options to run with, or the exit code to leave with once --help
// or --version has printed its text (0) or a bad flag its one-line error (2).
std::variant<bench_options, int> parse_bench_command_line(int argc, const char* const* argv, std::ostream& out,
                                                          std::ostream& err);

}  // namespace time_tools
