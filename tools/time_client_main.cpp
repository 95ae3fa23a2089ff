// time_client_main.cpp - reads the command line and runs one conversation;
// the logic lives in time_tools_lib (time_client.hpp).
#include "client_command_line.hpp"

#include <iostream>
#include <variant>

int main(int argc, char** argv) {
    auto parsed = time_tools::parse_client_command_line(argc, argv, std::cout, std::cerr);
    if (const int* exit_code = std::get_if<int>(&parsed)) {
        return *exit_code;
    }
    const auto& options = std::get<time_tools::client_options>(parsed);
    return static_cast<int>(time_tools::run_client(options, std::cout, std::cerr));
}
