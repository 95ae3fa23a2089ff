// conversation_test.cpp - the protocol's logic as the server ships it
// (protocol/conversation.cpp), without a socket: bytes in, replies, log lines
// and the conversation's end out.
#include "conversation.hpp"
#include "log_capture.hpp"
#include "logging.hpp"

#include <catch2/catch.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

namespace {

using time_server::conversation;
using time_server::conversation_end;

// 1970-01-01 12:34:56 UTC.
const auto fixed_now = std::chrono::system_clock::time_point(std::chrono::hours(12) + std::chrono::minutes(34) +
                                                             std::chrono::seconds(56));

struct talk {
    std::shared_ptr<test_support::log_capture_sink> sink = std::make_shared<test_support::log_capture_sink>();
    spdlog::logger log{"conversation_test", sink};
    conversation c;

    explicit talk(std::size_t max_line = 1024) : c(max_line, true) {
        log.set_level(spdlog::level::info);
        log.set_pattern(time_server::log_pattern);
        c.name_peer("('127.0.0.1', 5)");
    }

    // The client's bytes arrive in one read; returns the replies of that read.
    time_server::dispatched receive(std::string_view bytes, bool end_of_stream = false) {
        c.replies().clear();
        while (!bytes.empty()) {
            const auto space = c.framer().prepare();
            const auto n = std::min(space.size(), bytes.size());
            std::memcpy(space.data(), bytes.data(), n);
            c.framer().commit(n);
            bytes.remove_prefix(n);
            if (!bytes.empty()) {
                const auto partial = c.dispatch_lines(false, fixed_now, log);
                if (partial.end != conversation_end::not_yet) {
                    return partial;
                }
            }
        }
        return c.dispatch_lines(end_of_stream, fixed_now, log);
    }
};

TEST_CASE("conversation answers every line of one read, in order, into one reply buffer", "[unit][conversation]") {
    talk t;
    const auto result = t.receive("TIME\r\nhelp\nWHAT\r\n\r\n");
    CHECK(result.end == conversation_end::not_yet);
    CHECK(result.answered_a_line);
    CHECK(t.c.replies() == "JAM 12:34:56\r\nBANTUAN: TIME, QUIT, HELP\r\nERROR: Perintah tidak dikenal.\r\n");
    CHECK(t.sink->messages() == std::vector<std::string>{
                                    "Menerima request 'TIME' dari ('127.0.0.1', 5)",
                                    "Mengirim waktu '12:34:56' ke ('127.0.0.1', 5)",
                                    "Menerima request 'help' dari ('127.0.0.1', 5)",
                                    "Menerima request 'WHAT' dari ('127.0.0.1', 5)",
                                    "Perintah tidak dikenal 'WHAT' dari ('127.0.0.1', 5)",
                                });
}

TEST_CASE("conversation waits for the rest of a line and answers nothing meanwhile", "[unit][conversation]") {
    talk t;
    const auto first = t.receive("TI");
    CHECK(first.end == conversation_end::not_yet);
    CHECK_FALSE(first.answered_a_line);  // a trickle does not restart the idle clock
    CHECK(t.c.replies().empty());
    const auto second = t.receive("ME\n");
    CHECK(second.answered_a_line);
    CHECK(t.c.replies() == "JAM 12:34:56\r\n");
}

TEST_CASE("conversation ends at QUIT and ignores what follows it", "[unit][conversation]") {
    talk t;
    const auto result = t.receive("TIME\nQUIT\r\nTIME\n");
    CHECK(result.end == conversation_end::quit);
    CHECK(t.c.replies() == "JAM 12:34:56\r\n");
    CHECK(t.sink->count_containing("Klien ('127.0.0.1', 5) meminta untuk keluar.") == 1);
}

TEST_CASE("conversation answers an unterminated last line at end of stream", "[unit][conversation]") {
    talk t;
    CHECK(t.receive("TIME", true).end == conversation_end::client_closed);
    CHECK(t.c.replies() == "JAM 12:34:56\r\n");
    talk quitting;
    CHECK(quitting.receive("quit", true).end == conversation_end::quit);
    talk empty;
    CHECK(empty.receive("", true).end == conversation_end::client_closed);
    CHECK(empty.c.replies().empty());
}

TEST_CASE("conversation refuses a line over the limit with the error reply and an escaped sample",
          "[unit][conversation]") {
    talk t(8);
    const auto result = t.receive("TIME\n\x1b[31mTOOLONGLINE\n");
    CHECK(result.end == conversation_end::line_too_long);
    CHECK(t.c.replies() == "JAM 12:34:56\r\nERROR: Perintah terlalu panjang.\r\n");
    CHECK(t.sink->count_containing("Baris dari ('127.0.0.1', 5) terlalu panjang (lebih dari 8 byte), koneksi "
                                   "ditutup: '\\x1b[31mTOOL'") == 1);
}

TEST_CASE("conversation formats nothing when the log is off", "[unit][conversation]") {
    talk t;
    t.log.set_level(spdlog::level::off);
    t.receive("TIME\nWHAT\n");
    CHECK(t.c.replies() == "JAM 12:34:56\r\nERROR: Perintah tidak dikenal.\r\n");
    CHECK(t.sink->messages().empty());
}

// The replies of one read are sent, then replies_sent() readies the buffer
// for the next read.
TEST_CASE("conversation frees the replies' buffer after a burst", "[unit][conversation]") {
    talk t;
    t.log.set_level(spdlog::level::off);
    std::string burst;
    for (int i = 0; i < 1000; ++i) {
        burst += "TIME\n";
    }
    t.receive(burst);
    REQUIRE(t.c.replies().size() == 1000 * std::string_view("JAM 12:34:56\r\n").size());
    REQUIRE(t.c.replies().capacity() > conversation::replies_kept_capacity);
    t.c.replies_sent();
    CHECK(t.c.replies().empty());
    CHECK(t.c.replies().capacity() <= conversation::replies_kept_capacity);
    // The next read is answered as before.
    t.receive("TIME\n");
    CHECK(t.c.replies() == "JAM 12:34:56\r\n");
}

TEST_CASE("conversation keeps the replies' buffer after a few answers", "[unit][conversation]") {
    talk t;
    t.log.set_level(spdlog::level::off);
    t.receive("TIME\nHELP\nTIME\n");
    const auto capacity = t.c.replies().capacity();
    const auto* storage = t.c.replies().data();
    REQUIRE(capacity <= conversation::replies_kept_capacity);
    t.c.replies_sent();
    CHECK(t.c.replies().empty());
    CHECK(t.c.replies().capacity() == capacity);
    // The same answers again fit where the last ones were: no allocation.
    t.receive("TIME\nHELP\nTIME\n");
    CHECK(t.c.replies().data() == storage);
    CHECK(t.c.replies().capacity() == capacity);
    t.c.replies_sent();
    CHECK(t.c.replies().capacity() == capacity);
}

// dispatched::requests feeds time_server_requests_total{command=...}.
TEST_CASE("conversation tallies the requests of a read by command, not empty lines", "[unit][conversation]") {
    using counts = std::array<std::uint32_t, 4>;  // time, quit, help, unknown
    SECTION("every kind, an empty line among them") {
        talk t;
        CHECK(t.receive("TIME\nHELP\n\nfoo\nTIME\n").requests.counts == counts{2, 0, 1, 1});
    }
    SECTION("CRLF, blanks and case") {
        talk t;
        CHECK(t.receive("time\r\n\r\n \t\r\n Help \r\nTIME now\r\n").requests.counts == counts{1, 0, 1, 1});
    }
    SECTION("QUIT counts, what follows it does not") {
        talk t;
        const auto result = t.receive("TIME\nQUIT\nTIME\nHELP\n");
        CHECK(result.end == conversation_end::quit);
        CHECK(result.requests.counts == counts{1, 1, 0, 0});
    }
    SECTION("the unterminated last line at end of stream") {
        talk t;
        CHECK(t.receive("HELP\nwhat", true).requests.counts == counts{0, 0, 1, 1});
    }
    SECTION("only empty lines, or a partial line: nothing") {
        talk t;
        CHECK(t.receive("\n\r\n\n").requests.counts == counts{});
        CHECK(t.receive("TI").requests.counts == counts{});
        // Each dispatch tallies its own lines only.
        CHECK(t.receive("ME\nTIME\n").requests.counts == counts{2, 0, 0, 0});
        CHECK(t.receive("HELP\n").requests.counts == counts{0, 0, 1, 0});
    }
    SECTION("a line over the limit is no request") {
        talk t(8);
        CHECK(t.receive("TIME\n").requests.counts == counts{1, 0, 0, 0});
        const auto result = t.receive("TOOLONGLINE\n");
        CHECK(result.end == conversation_end::line_too_long);
        CHECK(result.requests.counts == counts{});
    }
}

}  // namespace
