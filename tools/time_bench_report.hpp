// time_bench_report.hpp - a run's figures as text: one line for people, one
// JSON line with the keys of bench/loadgen's, for the benchmark scripts.
#pragma once

#include "time_bench.hpp"

#include <string>

namespace time_tools {

// "pingpong c=50 t=1 3.00s: 123 req, 41.0 req/s, p50 ...", without a newline.
std::string human_line(const bench_result& result);

// {"mode":"pingpong",...} without a newline.
std::string json_line(const bench_result& result);

}  // namespace time_tools
