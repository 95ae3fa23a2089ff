// fuzz_line_protocol.cpp - fuzz target for the request path: line_framer,
// parse_command and escape_for_log, driven the way session.cpp's serve_client()
// loop (read, dispatch_lines(), write) drives them, and checked against a
// small independent model of the wire contract (docs/protocol.md). Any
// violated invariant traps, so libFuzzer (or replay_main.cpp) reports it as a
// crash.
//
// A command added to protocol.hpp (docs/exercises.md's DATE) needs no change
// here: the harness cannot produce its reply (session.cpp's answer() does), so
// it writes a marker naming the word instead, and the model expects that
// marker exactly where the word, trimmed and in any case, is a whole request.
// Only the new words come from protocol.hpp's command_words; TIME, QUIT, HELP,
// the matching rules and the replies stay the model's own.
//
// Input layout:
//   byte 0      max_line: below 0xc0 it is 1..64, so the limit is hit often;
//               from 0xc0 up it is 127 + 64 * k, which crosses every step of
//               the framer's buffer growth (128, 512, 2048 bytes and more)
//   byte 1      how many read sizes follow (0..15)
//   then        those read sizes, used in turn for every read; 0 takes all the
//               free space prepare() offers, as a fast client would
//   the rest    the bytes the client sends, then it closes its sending side
#include "line_framer.hpp"
#include "log_text.hpp"
#include "protocol.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace {

using time_server::line_framer;

// TIME answers with this instead of the clock, so the model knows the reply.
constexpr std::string_view fixed_time = "12:34:56";

// The replies as docs/protocol.md spells them, written out again on purpose: the
// model checks protocol.hpp's constants instead of trusting them.
constexpr std::string_view spec_time_reply = "JAM 12:34:56\r\n";
constexpr std::string_view spec_help_reply = "BANTUAN: TIME, QUIT, HELP\r\n";
constexpr std::string_view spec_unknown_reply = "ERROR: Perintah tidak dikenal.\r\n";
constexpr std::string_view spec_too_long_reply = "ERROR: Perintah terlalu panjang.\r\n";

// The words the model knows the meaning of.
constexpr std::string_view spec_time_word = "TIME";
constexpr std::string_view spec_quit_word = "QUIT";
constexpr std::string_view spec_help_word = "HELP";

// What stands for the reply to a command the model does not know: "<DATE>\n".
// No documented reply starts with '<' or ends in a bare LF, so it cannot be
// mistaken for one.
std::string unmodelled_reply(std::string_view word) {
    std::string marker = "<";
    marker.append(word);
    marker.append(">\n");
    return marker;
}

constexpr std::size_t small_limit_selectors = 0xc0;
constexpr std::size_t small_limit_count = 64;
constexpr std::size_t large_limit_base = 127;
constexpr std::size_t large_limit_step = 64;
constexpr std::size_t max_read_sizes = 16;

// Every client byte may become \xNN, and "..." follows a clipped sample.
constexpr std::size_t max_escaped_bytes = time_server::max_logged_request_bytes * 4 + 3;

[[noreturn]] void fail(const char* what) {
    std::fprintf(stderr, "fuzz_line_protocol: invariant violated: %s\n", what);
    std::fflush(stderr);
    __builtin_trap();
}

void check(bool ok, const char* what) {
    if (!ok) {
        fail(what);
    }
}

struct scenario {
    std::size_t max_line = 1;
    std::vector<std::size_t> read_sizes;  // used in turn; 0 = all the free space
    std::string_view stream;              // what the client sends before it closes
};

scenario decode(const std::uint8_t* data, std::size_t size) {
    scenario s;
    if (size == 0) {
        return s;
    }
    const std::size_t selector = data[0];
    s.max_line = selector < small_limit_selectors
                     ? selector % small_limit_count + 1
                     : large_limit_base + (selector - small_limit_selectors) * large_limit_step;
    std::size_t offset = 1;
    if (offset < size) {
        const std::size_t count = data[offset++] % max_read_sizes;
        for (std::size_t i = 0; i < count && offset < size; ++i) {
            s.read_sizes.push_back(data[offset++]);
        }
    }
    s.stream = {reinterpret_cast<const char*>(data) + offset, size - offset};
    return s;
}

bool is_printable_ascii(char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte >= 0x20 && byte < 0x7f;
}

int hex_digit(char c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    return -1;  // docs/protocol.md: lowercase hex only
}

// The log sample of client bytes: printable ASCII only, bounded, and it must
// decode back to exactly the first 64 bytes, each byte in its one documented form.
void check_log_sample(std::string_view bytes) {
    const std::string escaped = time_server::escape_for_log(bytes);
    check(escaped.size() <= max_escaped_bytes, "escape_for_log longer than 64*4+3 bytes");
    check(std::ranges::all_of(escaped, is_printable_ascii), "escape_for_log wrote a non-printable byte");

    const auto shown = bytes.substr(0, time_server::max_logged_request_bytes);
    std::string_view body = escaped;
    if (shown.size() < bytes.size()) {
        check(body.ends_with("..."), "clipped log sample without ...");
        body.remove_suffix(3);
    }
    std::string decoded;
    for (std::size_t i = 0; i < body.size(); ++i) {
        if (body[i] != '\\') {
            decoded.push_back(body[i]);
            continue;
        }
        check(i + 1 < body.size(), "log sample ends in a lone backslash");
        if (body[i + 1] == '\\') {
            decoded.push_back('\\');
            ++i;
            continue;
        }
        check(body[i + 1] == 'x' && i + 3 < body.size(), "log sample has an unknown escape");
        const int high = hex_digit(body[i + 2]);
        const int low = hex_digit(body[i + 3]);
        check(high >= 0 && low >= 0, "log sample has a bad \\xNN escape");
        const auto byte = static_cast<char>(high * 16 + low);
        check(!is_printable_ascii(byte), "log sample escaped a printable byte");
        decoded.push_back(byte);
        i += 3;
    }
    check(decoded == shown, "log sample does not decode to the first 64 bytes");
}

struct outcome {
    std::vector<std::string> lines;  // every request answered, in order, without LF and CR
    std::string replies;             // every byte the server sent
    bool quit = false;
    bool too_long = false;

    bool operator==(const outcome&) const = default;
};

// ---- the code under test, driven like session.cpp ----------------------------

// session.cpp's answer(): one request in, its reply appended. False on QUIT.
// An if-chain, not a switch: a command added to the enum must not break this
// build, and any value other than the five known ones is an unmodelled command.
bool answer(outcome& out, std::string_view request) {
    check_log_sample(request);
    out.lines.emplace_back(request);
    const auto before = out.replies.size();
    bool keep_going = true;
    bool unmodelled = false;
    const auto what = time_server::parse_command(request);
    if (what == time_server::command::time) {
        time_server::append_time_reply(out.replies, fixed_time);
    } else if (what == time_server::command::quit) {
        out.quit = true;
        keep_going = false;
    } else if (what == time_server::command::help) {
        out.replies.append(time_server::help_reply);
    } else if (what == time_server::command::unknown) {
        out.replies.append(time_server::unknown_command_reply);
    } else if (what != time_server::command::empty) {
        // A command this harness cannot answer: name the word it was parsed as.
        const auto* const row = std::ranges::find(time_server::command_words, what,
                                                  [](const auto& entry) { return entry.second; });
        check(row != time_server::command_words.end(), "parse_command returned a command without a word");
        out.replies.append(unmodelled_reply(row->first));
        unmodelled = true;
    }
    const std::string_view reply = std::string_view(out.replies).substr(before);
    check(unmodelled || reply.empty() || reply == spec_time_reply || reply == spec_help_reply ||
              reply == spec_unknown_reply,
          "reply outside the documented set");
    return keep_going;
}

// How the harness's session ends, as session.cpp's `ending`.
enum class ending { not_yet, quit, client_closed, line_too_long };

// session.cpp's dispatch_lines(): every complete line read so far, and at the
// end of the stream the unterminated last one; no I/O.
ending dispatch_lines(line_framer& framer, const scenario& s, bool end_of_stream, outcome& out) {
    const std::size_t limit = s.max_line + 1;  // a full line and its LF
    for (;;) {
        const bool complete = framer.has_complete_line();
        const auto next = framer.next();
        check(complete == (next.state == line_framer::status::line), "has_complete_line() disagrees with next()");
        check(framer.buffered_bytes() <= framer.capacity(), "framer holds more than its capacity");
        switch (next.state) {
        case line_framer::status::line:
            check(next.line.size() <= s.max_line, "line longer than max_line");
            if (!answer(out, next.line)) {
                return ending::quit;  // the rest is ignored
            }
            break;
        case line_framer::status::too_long:
            // As soon as the limit is passed, and not a byte more held.
            check(framer.buffered_bytes() == limit, "too_long reported with other than max_line + 1 bytes held");
            check_log_sample(framer.peek_unterminated());
            out.replies.append(time_server::line_too_long_reply);
            check(std::string_view(out.replies).ends_with(spec_too_long_reply), "too-long reply differs from spec");
            out.too_long = true;
            return ending::line_too_long;
        case line_framer::status::need_more:
            if (!end_of_stream) {
                return ending::not_yet;
            }
            if (const auto last = framer.take_unterminated()) {
                check(last->size() <= s.max_line, "unterminated line longer than max_line");
                check(framer.buffered_bytes() == 0, "bytes left after take_unterminated()");
                check(!framer.take_unterminated(), "take_unterminated() returned a line twice");
                if (!answer(out, *last)) {
                    return ending::quit;
                }
            }
            return ending::client_closed;
        }
    }
}

// session.cpp's serve_client() loop with the socket replaced by the
// scenario's stream, read in the scenario's read sizes: (1) read, (2) dispatch
// every complete line, (3) write (here: the replies simply stay in `out`).
outcome drive(const scenario& s) {
    const std::size_t limit = s.max_line + 1;
    line_framer framer(s.max_line);
    outcome out;
    std::size_t sent = 0;   // stream bytes the client has sent so far
    std::size_t reads = 0;  // reads done, to pick the next read size

    const auto check_holdings = [&] {
        check(framer.capacity() <= limit, "framer capacity above max_line + 1");
        check(framer.buffered_bytes() <= framer.capacity(), "framer holds more than its capacity");
    };

    auto end = ending::not_yet;
    while (end == ending::not_yet) {
        // 1. read_some(): the free space, then async_read_some into it.
        check_holdings();
        const auto space = framer.prepare();
        check(!space.empty(), "prepare() empty while next() needs more");
        check(framer.buffered_bytes() + space.size() <= framer.capacity(), "prepare() space beyond the buffer");
        check_holdings();
        std::size_t bytes = std::min(space.size(), s.stream.size() - sent);
        if (!s.read_sizes.empty()) {
            const auto wanted = s.read_sizes[reads % s.read_sizes.size()];
            if (wanted != 0) {
                bytes = std::min(bytes, wanted);
            }
        }
        ++reads;
        if (bytes > 0) {
            std::memcpy(space.data(), s.stream.data() + sent, bytes);
            sent += bytes;
        }
        // Asio reports eof with no bytes; the session commits them anyway.
        framer.commit(bytes);
        check_holdings();
        // 2. Dispatch every complete line of that read.
        end = dispatch_lines(framer, s, bytes == 0, out);
        check_holdings();
    }
    return out;
}

// ---- the independent model ---------------------------------------------------

// docs/protocol.md's commands: trim spaces and tabs, match ASCII case-insensitively.
// A word protocol.hpp knows and the model does not gets the harness's marker.
std::string model_reply(std::string_view line, bool& quit) {
    std::size_t first = 0;
    std::size_t last = line.size();
    while (first < last && (line[first] == ' ' || line[first] == '\t')) {
        ++first;
    }
    while (last > first && (line[last - 1] == ' ' || line[last - 1] == '\t')) {
        --last;
    }
    std::string word;
    for (std::size_t i = first; i < last; ++i) {
        const char c = line[i];
        word.push_back(c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c);
    }
    if (word.empty()) {
        return {};
    }
    if (word == spec_time_word) {
        return std::string(spec_time_reply);
    }
    if (word == spec_quit_word) {
        quit = true;
        return {};
    }
    if (word == spec_help_word) {
        return std::string(spec_help_reply);
    }
    for (const auto& row : time_server::command_words) {
        if (word == row.first) {
            // A command added since the model was written: its reply is unknown here.
            return unmodelled_reply(row.first);
        }
    }
    return std::string(spec_unknown_reply);
}

// Split on LF, drop one CR before it; a line of more than max_line bytes before
// its LF (or before the end, without one) ends everything with the too-long
// reply; an unterminated last line counts as a line.
outcome model(const scenario& s) {
    outcome out;
    std::string_view rest = s.stream;
    while (!rest.empty()) {
        const auto lf = rest.find('\n');
        const auto line_bytes = lf == std::string_view::npos ? rest.size() : lf;
        if (line_bytes > s.max_line) {
            out.replies.append(spec_too_long_reply);
            out.too_long = true;
            return out;
        }
        std::string_view line = rest.substr(0, line_bytes);
        if (!line.empty() && line.back() == '\r') {
            line.remove_suffix(1);
        }
        out.lines.emplace_back(line);
        out.replies.append(model_reply(line, out.quit));
        if (out.quit) {
            return out;
        }
        rest.remove_prefix(lf == std::string_view::npos ? rest.size() : lf + 1);
    }
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const scenario s = decode(data, size);
    const outcome actual = drive(s);
    const outcome expected = model(s);
    check(actual.lines == expected.lines, "requests differ from the model (order, content or count)");
    check(actual.replies == expected.replies, "replies differ from the model");
    check(actual == expected, "quit/too_long differ from the model");
    return 0;
}
