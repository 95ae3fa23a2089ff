// main.cpp - reads the command line and runs the server; everything else
// lives in the time_server library (see server.hpp).
#include "command_line.hpp"
#include "run_server.hpp"

#include <iostream>
#include <variant>

int main(int argc, char** argv) {
    auto parsed = time_server::parse_command_line(argc, argv, std::cout, std::cerr);
    if (const int* exit_code = std::get_if<int>(&parsed)) {
        return *exit_code;
    }
    return time_server::run_server(std::get<time_server::server_config>(parsed));
}
