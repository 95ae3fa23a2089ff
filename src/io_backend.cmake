# io_backend.cmake - which of Asio's I/O backends runs the server's sockets
# (docs/performance.md, "System calls per request").
#
#   TIME_SERVER_BACKEND=auto      (default) io_uring where it is sound and
#                                 allowed: Boost 1.83 or newer, liburing
#                                 installed, and a kernel that lets this
#                                 machine set up a ring; epoll otherwise, with
#                                 a line that says why
#   TIME_SERVER_BACKEND=io_uring  io_uring, or a configure error; on Boost
#                                 older than 1.83 only with a warning, for
#                                 measuring (bench/report.sh's cpp-io_uring)
#   TIME_SERVER_BACKEND=epoll     Asio's epoll reactor
#
# Why io_uring: it makes one system call per request (the reply's send) where
# the epoll reactor makes three, because the reactor's read after every
# readiness event finds nothing in request/reply traffic.
# Why not on Boost 1.81 (Debian 12): its io_uring backend frees a socket's
# per-descriptor state on close while a cancelled operation is still in the
# ring, so the late completion can land on a newer socket's operation (a read
# then ends with a false end of stream: the stress test's client sees it).
# Boost 1.83 keeps the state until the last operation completes.
# Why the probe: container runtimes' default seccomp profiles refuse io_uring,
# so a build inside such a container gets the backend that runs there.
#
# Sets time_server_io_backend (io_uring or epoll) and, for io_uring, the
# imported target PkgConfig::liburing.
set(TIME_SERVER_BACKEND auto CACHE STRING "Asio's I/O backend: auto, io_uring or epoll")
set_property(CACHE TIME_SERVER_BACKEND PROPERTY STRINGS auto io_uring epoll)
if(NOT TIME_SERVER_BACKEND MATCHES "^(auto|io_uring|epoll)$")
  message(FATAL_ERROR "TIME_SERVER_BACKEND must be auto, io_uring or epoll, not '${TIME_SERVER_BACKEND}'")
endif()

set(time_server_io_backend epoll)
set(why "TIME_SERVER_BACKEND=epoll")
if(NOT TIME_SERVER_BACKEND STREQUAL "epoll")
  find_package(PkgConfig REQUIRED)
  pkg_check_modules(liburing IMPORTED_TARGET liburing>=2.1)
  if(NOT liburing_FOUND)
    set(why "liburing (Debian's liburing-dev) is not installed")
  else()
    # Asks the kernel for a ring, as the server will at start-up.
    try_run(ring_run_result ring_compiled ${CMAKE_CURRENT_BINARY_DIR}/io_uring_probe
            ${CMAKE_CURRENT_LIST_DIR}/io_uring_probe.cpp
            LINK_LIBRARIES PkgConfig::liburing
            COMPILE_OUTPUT_VARIABLE probe_compile_output
            RUN_OUTPUT_VARIABLE probe_output)
    if(NOT ring_compiled)
      set(why "a program using liburing did not build: ${probe_compile_output}")
    elseif(NOT ring_run_result EQUAL 0)
      set(why "the kernel refused io_uring here (${probe_output}), as a container's seccomp profile does")
    elseif(Boost_VERSION VERSION_LESS 1.83 AND TIME_SERVER_BACKEND STREQUAL "auto")
      set(why "Boost ${Boost_VERSION}'s io_uring backend can complete a closed socket's cancelled operation on a newer socket (fixed in Boost 1.83)")
    else()
      set(time_server_io_backend io_uring)
    endif()
  endif()
  if(time_server_io_backend STREQUAL "epoll" AND TIME_SERVER_BACKEND STREQUAL "io_uring")
    message(FATAL_ERROR "TIME_SERVER_BACKEND=io_uring: ${why}")
  endif()
  if(time_server_io_backend STREQUAL "io_uring" AND Boost_VERSION VERSION_LESS 1.83)
    message(WARNING "TIME_SERVER_BACKEND=io_uring on Boost ${Boost_VERSION}: its io_uring backend can complete "
                    "a closed socket's cancelled operation on a newer socket (fixed in Boost 1.83): "
                    "build it to measure, not to serve.")
  endif()
endif()
if(time_server_io_backend STREQUAL "epoll")
  message(STATUS "time_server I/O backend: epoll (${why})")
else()
  message(STATUS "time_server I/O backend: io_uring")
endif()
# For scripts/test.sh, which also runs the epoll preset where io_uring is the default.
set(TIME_SERVER_IO_BACKEND_CHOSEN ${time_server_io_backend} CACHE INTERNAL "the backend this build uses")
