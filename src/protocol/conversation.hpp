// conversation.hpp - what a session says, without I/O: the bytes a client
// sent go into the framer, dispatch_lines() answers every complete line into
// replies(), and says whether the conversation is over. The session
// (core/session.cpp) does the reading and the writing around it.
#pragma once

#include "line_framer.hpp"
#include "protocol.hpp"
#include "time_of_day.hpp"

#include <spdlog/logger.h>

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

namespace time_server {

// How a conversation ends, as far as the protocol decides it.
enum class conversation_end {
    not_yet,        // waiting for more bytes
    quit,           // the client sent QUIT (logged); what followed it is ignored
    client_closed,  // end of stream, every line answered
    line_too_long,  // a line passed the limit: the error reply is in replies(), logged
};

struct dispatched {
    conversation_end end = conversation_end::not_yet;
    bool answered_a_line = false;  // a complete line, not a trickle of bytes: restarts the idle clock
    command_tally requests;        // what the lines asked for, for the metrics
};

class conversation {
public:
    conversation(std::size_t max_line_bytes, bool utc) : framer_(max_line_bytes), clock_face_(utc) {}

    // Where the session reads to (prepare(), commit()).
    line_framer& framer() { return framer_; }
    const line_framer& framer() const { return framer_; }

    // The answers of one dispatch, sent in one write.
    std::string& replies() { return replies_; }

    // After the replies are sent. The capacity stays for the next request (no
    // allocation), unless a burst grew it past what a few pipelined lines
    // need: then it goes, and one burst does not pin memory for the rest of
    // a long session.
    void replies_sent();
    static constexpr std::size_t replies_kept_capacity = 4096;

    // How the client is named in the log: "('127.0.0.1', 54321)".
    void name_peer(std::string peer) { peer_ = std::move(peer); }
    const std::string& peer() const { return peer_; }

    // Answers every complete line read so far into replies(). At the end of
    // the client's stream the unterminated last line counts too, and the
    // conversation ends. `now` is one clock read for all the lines of one
    // read: they arrived together. `log` gets the request lines
    // (docs/protocol.md); nothing is formatted when its level is off. (A
    // parameter, not a member: every idle session keeps a conversation, and
    // the session has the log already.)
    dispatched dispatch_lines(bool end_of_stream, std::chrono::system_clock::time_point now, spdlog::logger& log);

private:
    bool answer(std::string_view request, std::chrono::system_clock::time_point now, spdlog::logger& log,
                command_tally& tally);

    line_framer framer_;      // bytes read but not yet dispatched
    time_of_day clock_face_;  // "JAM hh:mm:ss\r\n", formatted once per second
    std::string replies_;     // answers to the lines of one read
    std::string peer_;        // empty when nothing is logged
};

}  // namespace time_server
