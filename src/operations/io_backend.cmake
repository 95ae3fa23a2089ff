# io_backend.cmake - which of Asio's I/O backends runs the server's sockets
# (README, "The I/O backend"; docs/performance.md, "System calls per request").
#
#   TIME_SERVER_BACKEND=epoll     (default) Asio's epoll reactor
#   TIME_SERVER_BACKEND=io_uring  Asio's io_uring backend, or a configure error
#                                 saying why not: it needs Boost 1.83 or newer,
#                                 liburing (Debian's liburing-dev) and a kernel
#                                 that lets this machine set up a ring
#   TIME_SERVER_IO_URING_FOR_MEASURING=ON
#                                 lets io_uring build on an older Boost, with
#                                 a warning: bench/report.sh's cpp-io_uring row
#
# Why epoll is the default: io_uring makes about one system call per request
# where the epoll reactor makes three (the reactor reads once more after every
# readiness event, and in request/reply traffic that read finds nothing), but
# in bench/report.sh's runs Asio's io_uring backend served fewer requests,
# pipelined replies and connections per second, with higher latency.
# Why not on Boost 1.81 (Debian 12): its io_uring backend frees a socket's
# per-descriptor state on close while a cancelled operation is still in the
# ring, so the late completion can land on a newer socket's operation (a read
# then ends with a false end of stream: the stress test's client saw it).
# Boost 1.83 keeps the state until the last operation completes.
# Why the probe: container runtimes' default seccomp profiles refuse io_uring.
#
# For io_uring, defines the imported target PkgConfig::liburing.
set(TIME_SERVER_BACKEND epoll CACHE STRING "Asio's I/O backend: epoll or io_uring")
set_property(CACHE TIME_SERVER_BACKEND PROPERTY STRINGS epoll io_uring)
option(TIME_SERVER_IO_URING_FOR_MEASURING "Build io_uring on Boost older than 1.83 (for measuring only)" OFF)
if(NOT TIME_SERVER_BACKEND MATCHES "^(io_uring|epoll)$")
  message(FATAL_ERROR "TIME_SERVER_BACKEND must be epoll or io_uring, not '${TIME_SERVER_BACKEND}'")
endif()

if(TIME_SERVER_BACKEND STREQUAL "io_uring")
  find_package(PkgConfig REQUIRED)
  pkg_check_modules(liburing IMPORTED_TARGET liburing>=2.1)
  if(NOT liburing_FOUND)
    message(FATAL_ERROR "TIME_SERVER_BACKEND=io_uring: liburing (Debian's liburing-dev) is not installed")
  endif()
  # Asks the kernel for a ring, as the server will at start-up.
  try_run(ring_run_result ring_compiled ${CMAKE_CURRENT_BINARY_DIR}/io_uring_probe
          ${CMAKE_CURRENT_LIST_DIR}/io_uring_probe.cpp
          LINK_LIBRARIES PkgConfig::liburing
          COMPILE_OUTPUT_VARIABLE probe_compile_output
          RUN_OUTPUT_VARIABLE probe_output)
  if(NOT ring_compiled)
    message(FATAL_ERROR "TIME_SERVER_BACKEND=io_uring: a program using liburing did not build: "
                        "${probe_compile_output}")
  elseif(NOT ring_run_result EQUAL 0)
    message(FATAL_ERROR "TIME_SERVER_BACKEND=io_uring: the kernel refused io_uring here (${probe_output}), "
                        "as a container's seccomp profile does")
  endif()
  if(Boost_VERSION VERSION_LESS 1.83)
    string(CONCAT boost_bug "Boost ${Boost_VERSION}'s io_uring backend can complete a closed socket's "
                  "cancelled operation on a newer socket (fixed in Boost 1.83)")
    if(NOT TIME_SERVER_IO_URING_FOR_MEASURING)
      message(FATAL_ERROR "TIME_SERVER_BACKEND=io_uring: ${boost_bug}. "
                          "-DTIME_SERVER_IO_URING_FOR_MEASURING=ON builds it anyway, to measure, not to serve.")
    endif()
    message(WARNING "TIME_SERVER_BACKEND=io_uring: ${boost_bug}: build it to measure, not to serve.")
  endif()
endif()
message(STATUS "time_server I/O backend: ${TIME_SERVER_BACKEND}")
