// bench_command_line.cpp - CLI11 options of time_bench: loadgen's short flags
// (-c -p -d -w -n -t) next to long ones, with the same defaults and ranges.
#include "bench_command_line.hpp"

#include "command_line.hpp"

#include <CLI/CLI.hpp>

#include <map>
#include <ostream>

namespace time_tools {

namespace {

constexpr unsigned max_connections = 1'000'000;
constexpr unsigned max_depth = 4096;
constexpr unsigned max_threads = 64;
constexpr double max_seconds = 3600.0;

const char* const modes_help =
    "Modes:\n"
    "  pingpong  -c CONNS: each connection sends TIME and waits for its reply, again\n"
    "  pipeline  -c CONNS -p DEPTH: DEPTH TIMEs in flight per connection\n"
    "  churn     -c CONCURRENCY: connect, TIME + QUIT, reply, server's close, again\n"
    "  idle      -n CONNS --hold SECONDS: open, hold quiet, then check that all still answer\n"
    "Every reply byte is checked against 'JAM dd:dd:dd\\r\\n'. The target must be a\n"
    "loopback address. Exit code: 0 if nothing went wrong and something completed,\n"
    "1 otherwise, 2 for bad usage.\n";

}  // namespace

std::variant<bench_options, int> parse_bench_command_line(int argc, const char* const* argv, std::ostream& out,
                                                          std::ostream& err) {
    bench_options options;
    double duration = options.duration.count();
    double warmup = options.warmup.count();
    double hold = options.hold.count();
    double timeout = options.timeout.count();
    const std::map<std::string, bench_mode> modes{{"pingpong", bench_mode::pingpong},
                                                  {"pipeline", bench_mode::pipeline},
                                                  {"churn", bench_mode::churn},
                                                  {"idle", bench_mode::idle}};

    CLI::App app("Load generator for TIME servers (see docs/tools.md).", "time_bench");
    app.footer(modes_help);
    app.set_version_flag("--version", std::string("time_bench ") + time_server::version());
    app.add_option("mode,--mode", options.mode, "pingpong, pipeline, churn or idle")
        ->transform(CLI::CheckedTransformer(modes, CLI::ignore_case))
        ->default_str("pingpong");
    app.add_option("--host", options.host, "server address or name; must be loopback")->capture_default_str();
    app.add_option("--port", options.port, "server's TCP port")->check(CLI::Range(1, 65535))->capture_default_str();
    auto* connections = app.add_option("-c,-n,--connections", options.connections, "connections (idle: default 100)")
                            ->check(CLI::Range(1U, max_connections))
                            ->capture_default_str();
    app.add_option("-p,--depth", options.depth, "pipeline: requests in flight per connection")
        ->check(CLI::Range(1U, max_depth))
        ->capture_default_str();
    app.add_option("-d,--duration", duration, "seconds measured")
        ->check(CLI::Range(0.01, max_seconds))
        ->capture_default_str();
    app.add_option("-w,--warmup", warmup, "seconds run before measuring")
        ->check(CLI::Range(0.0, max_seconds))
        ->capture_default_str();
    app.add_option("-s,--hold", hold, "idle: seconds the connections stay quiet")
        ->check(CLI::Range(0.0, max_seconds))
        ->capture_default_str();
    app.add_option("--timeout", timeout, "seconds allowed to open all connections, and for idle's recheck")
        ->check(CLI::Range(0.1, max_seconds))
        ->capture_default_str();
    app.add_option("-t,--threads", options.threads, "threads running the io_context")
        ->check(CLI::Range(1U, max_threads))
        ->capture_default_str();
    app.add_flag("--json", options.json, "also print one JSON line (loadgen's keys)");
    bool quiet = false;
    app.add_flag("-q,--quiet", quiet, "no progress lines on stderr");

    if (const auto exit_code = time_server::parse_flags(app, argc, argv, out, err)) {
        return *exit_code;
    }

    if (options.mode == bench_mode::idle && connections->count() == 0) {
        options.connections = default_idle_connections;
    }
    if (options.mode != bench_mode::pipeline) {
        options.depth = 1;  // as loadgen: depth means nothing outside pipeline
    }
    options.duration = seconds_d(duration);
    options.warmup = seconds_d(warmup);
    options.hold = seconds_d(hold);
    options.timeout = seconds_d(timeout);
    options.progress = !quiet;
    return options;
}

}  // namespace time_tools
