// fuzz_line_protocol.cpp - fuzz target for the request path as the server
// ships it: protocol/conversation.cpp's dispatch_lines() over line_framer,
// parse_command and the log's client_text, driven the way core/session.cpp's
// serve_client() loop (read, dispatch, write) drives it, and checked against a
// small independent model of the wire contract (docs/protocol.md). Any
// violated invariant traps, so libFuzzer (or replay_main.cpp) reports it as a
// crash.
//
// A command added to protocol.hpp (docs/exercises.md's DATE) needs no change
// here: the model does not know its reply, so it expects one CRLF-terminated
// line of any content exactly where the word, trimmed and in any case, is a
// whole request. Only the new words come from protocol.hpp's command_words;
// TIME, QUIT, HELP, the matching rules and the replies stay the model's own.
//
// What the code under test said is read from its replies and from its log:
// every request but an empty one is logged, escaped, as received, so the
// log's request lines (decoded) are the requests it answered, in order.
//
// Input layout:
//   byte 0      max_line: below 0xc0 it is 1..64, so the limit is hit often;
//               from 0xc0 up it is 127 + 64 * k, which crosses every step of
//               the framer's buffer growth (128, 512, 2048 bytes and more)
//   byte 1      how many read sizes follow (0..15)
//   then        those read sizes, used in turn for every read; 0 takes all the
//               free space prepare() offers, as a fast client would
//   the rest    the bytes the client sends, then it closes its sending side
#include "conversation.hpp"
#include "log_text.hpp"
#include "protocol.hpp"

#include <fmt/format.h>
#include <spdlog/sinks/base_sink.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace {

using time_server::conversation;
using time_server::conversation_end;

// TIME is answered at 12:34:56 UTC, so the model knows the reply.
const auto fixed_now = std::chrono::system_clock::time_point(std::chrono::hours(12) + std::chrono::minutes(34) +
                                                             std::chrono::seconds(56));
constexpr std::string_view peer_name = "('192.0.2.1', 7)";
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

// A log sample of client bytes, as the log shows it: printable ASCII only,
// bounded, and it must decode back to exactly the first 64 bytes, each byte in
// its one documented form.
void check_log_sample(std::string_view escaped, std::string_view bytes) {
    check(escaped.size() <= max_escaped_bytes, "log sample longer than 64*4+3 bytes");
    check(std::ranges::all_of(escaped, is_printable_ascii), "log sample with a non-printable byte");

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
    std::vector<std::string> logged;  // every request logged, as its escaped sample
    std::string replies;              // every byte the server sent
    bool quit = false;
    bool too_long = false;
};

// Keeps the messages the conversation logs, for one input at a time.
class message_sink final : public spdlog::sinks::base_sink<std::mutex> {
public:
    std::vector<std::string> messages;

protected:
    void sink_it_(const spdlog::details::log_msg& msg) override {
        messages.emplace_back(msg.payload.data(), msg.payload.size());
    }
    void flush_() override {}
};

// ---- the code under test, driven like core/session.cpp -----------------------

// session.cpp's serve_client() loop with the socket replaced by the
// scenario's stream, read in the scenario's read sizes: (1) read, (2) dispatch
// every complete line, (3) write (here: the replies are kept in `out`).
outcome drive(const scenario& s) {
    static const auto sink = std::make_shared<message_sink>();
    static spdlog::logger log("fuzz", sink);
    log.set_level(spdlog::level::info);
    sink->messages.clear();

    const std::size_t limit = s.max_line + 1;  // a full line and its LF
    conversation talk(s.max_line, true);
    talk.name_peer(std::string(peer_name));
    auto& framer = talk.framer();
    outcome out;
    std::size_t sent = 0;   // stream bytes the client has sent so far
    std::size_t reads = 0;  // reads done, to pick the next read size

    const auto check_holdings = [&] {
        check(framer.capacity() <= limit, "framer capacity above max_line + 1");
        check(framer.buffered_bytes() <= framer.capacity(), "framer holds more than its capacity");
    };

    auto end = conversation_end::not_yet;
    while (end == conversation_end::not_yet) {
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
        const auto result = talk.dispatch_lines(bytes == 0, fixed_now, log);
        end = result.end;
        if (end == conversation_end::line_too_long) {
            // As soon as the limit is passed, and not a byte more held.
            check(framer.buffered_bytes() == limit, "too_long reported with other than max_line + 1 bytes held");
        }
        check_holdings();
        // 3. The write: the replies of this read, then the buffer is reused.
        out.replies += talk.replies();
        talk.replies().clear();
    }
    out.quit = end == conversation_end::quit;
    out.too_long = end == conversation_end::line_too_long;

    // The log: printable, bounded, and its request lines are the requests.
    constexpr std::string_view request_prefix = "Menerima request '";
    const std::string request_suffix = fmt::format("' dari {}", peer_name);
    for (const auto& message : sink->messages) {
        check(std::ranges::all_of(message, is_printable_ascii), "a log line with a non-printable byte");
        if (message.starts_with(request_prefix)) {
            check(message.ends_with(request_suffix), "request log line without its peer");
            out.logged.emplace_back(
                message.substr(request_prefix.size(), message.size() - request_prefix.size() - request_suffix.size()));
        }
    }
    return out;
}

// ---- the independent model ---------------------------------------------------

// docs/protocol.md's commands: trim spaces and tabs, match ASCII case-insensitively.
// What the model expects the server to send for one request: nothing, a
// known reply, or (unknown) any one CRLF-terminated line, for a word
// protocol.hpp knows and the model does not.
std::optional<std::string> model_reply(std::string_view line, bool& quit) {
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
        return std::string();
    }
    if (word == spec_time_word) {
        return std::string(spec_time_reply);
    }
    if (word == spec_quit_word) {
        quit = true;
        return std::string();
    }
    if (word == spec_help_word) {
        return std::string(spec_help_reply);
    }
    for (const auto& row : time_server::command_words) {
        if (word == row.first) {
            return std::nullopt;  // a command added since the model was written
        }
    }
    return std::string(spec_unknown_reply);
}

struct expectation {
    std::vector<std::string> requests;                // every request the log must show, in order
    std::vector<std::optional<std::string>> replies;  // per request and the too-long reply, in order
    bool quit = false;
    bool too_long = false;
};

bool is_blank(std::string_view line) {
    return std::ranges::all_of(line, [](char c) { return c == ' ' || c == '\t'; });
}

// Split on LF, drop one CR before it; a line of more than max_line bytes before
// its LF (or before the end, without one) ends everything with the too-long
// reply; an unterminated last line counts as a line.
expectation model(const scenario& s) {
    expectation out;
    std::string_view rest = s.stream;
    while (!rest.empty()) {
        const auto lf = rest.find('\n');
        const auto line_bytes = lf == std::string_view::npos ? rest.size() : lf;
        if (line_bytes > s.max_line) {
            out.replies.emplace_back(spec_too_long_reply);
            out.too_long = true;
            return out;
        }
        std::string_view line = rest.substr(0, line_bytes);
        if (!line.empty() && line.back() == '\r') {
            line.remove_suffix(1);
        }
        if (!is_blank(line)) {
            out.requests.emplace_back(line);
        }
        out.replies.push_back(model_reply(line, out.quit));
        if (out.quit) {
            return out;
        }
        rest.remove_prefix(lf == std::string_view::npos ? rest.size() : lf + 1);
    }
    return out;
}

// Whether `sent` is exactly the expected replies, an unknown one standing
// for one CRLF-terminated line.
bool replies_match(std::string_view sent, const std::vector<std::optional<std::string>>& expected) {
    for (const auto& reply : expected) {
        if (!reply) {
            const auto end = sent.find("\r\n");
            if (end == std::string_view::npos) {
                return false;
            }
            sent.remove_prefix(end + 2);
        } else if (sent.starts_with(*reply)) {
            sent.remove_prefix(reply->size());
        } else {
            return false;
        }
    }
    return sent.empty();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const scenario s = decode(data, size);
    const outcome actual = drive(s);
    const expectation expected = model(s);
    check(actual.logged.size() == expected.requests.size(), "requests differ from the model in count");
    for (std::size_t i = 0; i < actual.logged.size(); ++i) {
        check_log_sample(actual.logged[i], expected.requests[i]);  // in order, each the model's request
    }
    check(replies_match(actual.replies, expected.replies), "replies differ from the model");
    check(actual.quit == expected.quit && actual.too_long == expected.too_long, "quit/too_long differ from the model");
    return 0;
}
