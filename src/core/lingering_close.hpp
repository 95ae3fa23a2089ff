// lingering_close.hpp - closing a connection whose client may still be
// sending, without the reset that would swallow the last reply.
#pragma once

#include "session_registry.hpp"
#include "session_socket.hpp"

namespace time_server {

// Closing a socket that still has unread bytes makes the kernel send a reset,
// and a client that is still writing (`head -c 5000 /dev/zero | nc`) then
// never sees the reply it was sent. So, like nginx's lingering close: send
// FIN, then read and drop what the client still sends until it closes too,
// for half a second and 64 KiB at most. The watchdog bounds the time: it
// shuts the connection down, which ends the pending read. The caller closes
// the socket afterwards.
session_task<void> linger_before_close(session_socket& socket, session_registry::entry& membership);

}  // namespace time_server
