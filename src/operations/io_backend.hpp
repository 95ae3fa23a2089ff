// io_backend.hpp - which of Asio's I/O backends this build runs its sockets on
// (chosen at build time by src/io_backend.cmake), and whether this machine
// lets it run.
#pragma once

#include <optional>
#include <string>

namespace time_server {

// "io_uring" or "epoll".
const char* io_backend_name();

// Empty when the backend can run here. Otherwise one line saying why it
// cannot and what to do: an io_uring build in a container whose seccomp
// profile refuses io_uring would fail at its first socket, with a message
// that names neither.
std::optional<std::string> io_backend_unavailable();

}  // namespace time_server
