// conversation.cpp - every complete line answered, in order, without I/O.
#include "conversation.hpp"

#include "log_text.hpp"
#include "protocol.hpp"

namespace time_server {

// Answers one request into replies_. Returns false when the client quits.
bool conversation::answer(std::string_view request, std::chrono::system_clock::time_point now, spdlog::logger& log,
                          command_tally& tally) {
    const command what = parse_command(request);
    if (what == command::empty) {
        return true;  // like pressing Enter at a shell prompt: no reply, no log line
    }
    tally.count(what);
    // Every other request is logged first, as received, whatever it is
    // (docs/protocol.md). The hot path makes not even a call when quiet.
    const bool logging = log.should_log(spdlog::level::info);
    if (logging) {
        log.info("Menerima request '{}' dari {}", client_text{request}, peer_);
    }
    switch (what) {
    case command::time:
        replies_.append(clock_face_.time_reply(now));
        if (logging) {
            log.info("Mengirim waktu '{}' ke {}", clock_face_.format(now), peer_);
        }
        return true;
    case command::quit:
        log.info("Klien {} meminta untuk keluar.", peer_);
        return false;
    case command::help:
        replies_.append(help_reply);
        return true;
    case command::unknown:
        log.info("Perintah tidak dikenal '{}' dari {}", client_text{request}, peer_);
        replies_.append(unknown_command_reply);
        return true;
    case command::empty:
        break;  // answered above
    }
    return true;
}

void conversation::replies_sent() {
    if (replies_.capacity() > replies_kept_capacity) {
        std::string().swap(replies_);
    } else {
        replies_.clear();
    }
}

dispatched conversation::dispatch_lines(bool end_of_stream, std::chrono::system_clock::time_point now,
                                        spdlog::logger& log) {
    dispatched result;
    for (;;) {
        const auto next = framer_.next();
        switch (next.state) {
        case line_framer::status::line:
            if (!answer(next.line, now, log, result.requests)) {
                result.end = conversation_end::quit;  // what came after QUIT is ignored
                return result;
            }
            result.answered_a_line = true;
            break;
        case line_framer::status::too_long:
            log.warn("Baris dari {} terlalu panjang (lebih dari {} byte), koneksi ditutup: '{}'", peer_,
                     framer_.max_line_bytes(), client_text{framer_.peek_unterminated()});
            replies_.append(line_too_long_reply);
            result.end = conversation_end::line_too_long;
            return result;
        case line_framer::status::need_more:
            if (end_of_stream) {
                const auto last = framer_.take_unterminated();
                const bool quit = last && !answer(*last, now, log, result.requests);
                result.end = quit ? conversation_end::quit : conversation_end::client_closed;
            }
            return result;
        }
    }
}

}  // namespace time_server
