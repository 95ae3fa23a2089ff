// open_file_limit.cpp - setrlimit(RLIMIT_NOFILE) at start-up.
#include "open_file_limit.hpp"

#include <sys/resource.h>

namespace time_server {

std::uint64_t raise_open_file_limit() {
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0) {
        return 0;
    }
    if (limit.rlim_cur < limit.rlim_max) {
        rlimit raised = limit;
        raised.rlim_cur = limit.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &raised) == 0) {
            return raised.rlim_cur;
        }
    }
    return limit.rlim_cur;
}

}  // namespace time_server
