// io_uring_probe.cpp - run once by CMake (src/io_backend.cmake): exits 0 when
// this kernel lets a program set up an io_uring, as the server does at
// start-up; otherwise prints why and exits 1.
#include <liburing.h>

#include <cstdio>
#include <system_error>

int main() {
    io_uring ring{};
    const int result = io_uring_queue_init(8, &ring, 0);
    if (result < 0) {
        std::printf("io_uring_queue_init: %s", std::system_category().message(-result).c_str());
        return 1;
    }
    io_uring_queue_exit(&ring);
    return 0;
}
