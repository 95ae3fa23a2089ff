// time_client_main.cpp - reads the command line and runs one conversation;
// the logic lives in time_tools_lib (time_client.hpp).
#include "client_command_line.hpp"

#include <exception>
#include <iostream>
#include <variant>

int main(int argc, char** argv) {
    try {
        auto parsed = time_tools::parse_client_command_line(argc, argv, std::cout, std::cerr);
        if (const int* exit_code = std::get_if<int>(&parsed)) {
            return *exit_code;
        }
        const auto& options = std::get<time_tools::client_options>(parsed);
        return static_cast<int>(time_tools::run_client(options, std::cout, std::cerr));
    } catch (const std::exception& e) {
        // Not a server's fault (those are exit codes 3 to 6): out of memory, say.
        std::cerr << "time_client: internal error: " << e.what() << '\n';
    } catch (...) {
        std::cerr << "time_client: internal error\n";
    }
    return static_cast<int>(time_tools::client_exit::failure);
}
