// open_file_limit.hpp - every client costs a descriptor; the default soft
// limit (often 1024) would cap the server far below --max-connections.
#pragma once

#include <cstdint>

namespace time_server {

// Raises the soft RLIMIT_NOFILE to the hard limit, as nginx and Go do.
// Returns the soft limit in force afterwards.
std::uint64_t raise_open_file_limit();

}  // namespace time_server
