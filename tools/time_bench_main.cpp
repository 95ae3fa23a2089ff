// time_bench_main.cpp - reads the command line, checks the target and the
// descriptor limit, runs the benchmark and prints its lines; the logic lives
// in time_tools_lib (time_bench.hpp).
#include "bench_command_line.hpp"
#include "loopback_target.hpp"
#include "open_file_limit.hpp"
#include "time_bench_report.hpp"

#include <exception>
#include <iostream>
#include <variant>

namespace {

// Descriptors the process needs besides one per connection.
constexpr std::uint64_t spare_descriptors = 16;

constexpr int bad_usage_exit_code = 2;

}  // namespace

int main(int argc, char** argv) {
    try {
        auto parsed = time_tools::parse_bench_command_line(argc, argv, std::cout, std::cerr);
        if (const int* exit_code = std::get_if<int>(&parsed)) {
            return *exit_code;
        }
        const auto& options = std::get<time_tools::bench_options>(parsed);

        const auto target = time_tools::resolve_loopback(options.host, options.port);
        if (const auto* why = std::get_if<std::string>(&target)) {
            std::cerr << "time_bench: " << *why << '\n';
            return bad_usage_exit_code;
        }
        const std::uint64_t limit = time_server::raise_open_file_limit();
        if (options.connections + spare_descriptors > limit) {
            std::cerr << "time_bench: " << options.connections << " connections need more than the " << limit
                      << " descriptors allowed (ulimit -n)\n";
            return bad_usage_exit_code;
        }

        const auto result = time_tools::run_bench(options, std::get<boost::asio::ip::tcp::endpoint>(target), std::cerr);
        std::cout << time_tools::human_line(result) << '\n';
        if (options.json) {
            std::cout << time_tools::json_line(result) << '\n';
        }
        return time_tools::bench_exit_code(result);
    } catch (const std::exception& e) {
        // A failure of the generator itself, never of the server (those are counted).
        std::cerr << "time_bench: internal error: " << e.what() << '\n';
    } catch (...) {
        std::cerr << "time_bench: internal error\n";
    }
    return 1;
}
