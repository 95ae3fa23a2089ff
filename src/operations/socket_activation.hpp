// socket_activation.hpp - systemd's socket activation without libsystemd: the
// protocol is two environment variables. When LISTEN_PID is this process and
// LISTEN_FDS is 1 or more, descriptors 3, 4, ... are listening sockets that
// systemd (or systemd-socket-activate) opened for us.
#pragma once

#include <sys/types.h>

#include <optional>
#include <vector>

namespace time_server {

// The first inherited descriptor, as sd_listen_fds(3) defines it.
inline constexpr int first_inherited_descriptor = 3;

// How many listening sockets the two variables hand to process `self`;
// nothing when they are absent, malformed, or meant for another process (a
// child that inherited the environment).
std::optional<int> inherited_listener_count(const char* listen_pid, const char* listen_fds, pid_t self);

// Reads LISTEN_PID and LISTEN_FDS, and returns the descriptors they hand to
// this process (empty if none). Unsets both variables and marks the
// descriptors close-on-exec, so that nothing this process starts inherits
// them.
std::vector<int> take_inherited_listeners();

}  // namespace time_server
