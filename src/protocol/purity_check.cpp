// purity_check.cpp - makes "protocol/ has no I/O" a build fact: every header of
// the layer is included here, and the build stops if any of them brought in
// a socket, an executor, a timer or a coroutine (each Asio header's include
// guard says whether it was read).
#include "conversation.hpp"
#include "endpoint.hpp"
#include "line_framer.hpp"
#include "log_text.hpp"
#include "protocol.hpp"
#include "proxy_header.hpp"
#include "time_of_day.hpp"

#if defined(BOOST_ASIO_IO_CONTEXT_HPP) || defined(BOOST_ASIO_ANY_IO_EXECUTOR_HPP) || defined(BOOST_ASIO_STRAND_HPP) || \
    defined(BOOST_ASIO_BASIC_SOCKET_HPP) || defined(BOOST_ASIO_BASIC_STREAM_SOCKET_HPP) ||                             \
    defined(BOOST_ASIO_BASIC_SOCKET_ACCEPTOR_HPP) || defined(BOOST_ASIO_BASIC_WAITABLE_TIMER_HPP) ||                   \
    defined(BOOST_ASIO_AWAITABLE_HPP) || defined(BOOST_ASIO_CO_SPAWN_HPP) || defined(BOOST_ASIO_IP_TCP_HPP)
#error "protocol/ is the pure layer: no socket, executor, timer or coroutine (src/CMakeLists.txt)"
#endif
