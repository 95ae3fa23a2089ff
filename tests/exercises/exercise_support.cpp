// exercise_support.cpp - configurations from flags for the exercise tests.
#include "exercise_support.hpp"

#include "command_line.hpp"

#include <catch2/catch.hpp>

#include <sstream>
#include <variant>
#include <vector>

namespace exercise_support {

time_server::server_config config_from_flags(std::initializer_list<std::string> flags) {
    std::vector<std::string> arguments{"time_server", "--bind", "127.0.0.1", "--port", "0", "--threads", "2", "--utc"};
    arguments.insert(arguments.end(), flags.begin(), flags.end());
    std::vector<const char*> argv;
    argv.reserve(arguments.size());
    for (const auto& argument : arguments) {
        argv.push_back(argument.c_str());
    }

    std::ostringstream out;
    std::ostringstream err;
    auto parsed = time_server::parse_command_line(static_cast<int>(argv.size()), argv.data(), out, err);
    const auto* config = std::get_if<time_server::server_config>(&parsed);
    INFO("the command line was rejected (is the exercise's flag there yet?): " << err.str() << out.str());
    REQUIRE(config != nullptr);
    return *config;
}

}  // namespace exercise_support
