// io_backend.cpp - see io_backend.hpp.
#include "io_backend.hpp"

#if defined(BOOST_ASIO_HAS_IO_URING)
#include <liburing.h>

#include <system_error>
#endif

namespace time_server {

#if defined(BOOST_ASIO_HAS_IO_URING)

const char* io_backend_name() {
    return "io_uring";
}

std::optional<std::string> io_backend_unavailable() {
    io_uring ring{};
    const int result = io_uring_queue_init(1, &ring, 0);
    if (result >= 0) {
        io_uring_queue_exit(&ring);
        return std::nullopt;
    }
    return std::string("this build runs on io_uring, which the kernel refused (") +
           std::system_category().message(-result) +
           "): allow io_uring_setup, io_uring_enter and io_uring_register (a container's seccomp profile "
           "refuses them), or build with -DTIME_SERVER_BACKEND=epoll (docs/deploy.md)";
}

#else

const char* io_backend_name() {
    return "epoll";
}

std::optional<std::string> io_backend_unavailable() {
    return std::nullopt;
}

#endif

}  // namespace time_server
