// line_framer_test.cpp - framing of request lines: CRLF and LF, any split of
// the bytes, the max-line limit (a CR counts) and the bounded buffer.
#include "line_framer.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

namespace {

using time_server::line_framer;
using status = line_framer::status;

// Drives a framer like the session does: read into prepare(), commit, then
// take every complete line. Checks the buffer bound at every step.
struct framer_driver {
    explicit framer_driver(std::size_t max_line) : framer(max_line), limit(max_line + 1) {}

    // Feeds `bytes` in reads of at most `chunk` bytes; stops early at too_long.
    status feed(std::string_view bytes, std::size_t chunk = SIZE_MAX) {
        status last = status::need_more;
        while (!bytes.empty()) {
            const auto space = framer.prepare();
            REQUIRE(!space.empty());  // promised while next() says need_more
            REQUIRE(framer.capacity() <= limit);
            peak_capacity = std::max(peak_capacity, framer.capacity());
            const auto n = std::min({space.size(), chunk, bytes.size()});
            std::memcpy(space.data(), bytes.data(), n);
            framer.commit(n);
            bytes.remove_prefix(n);
            last = drain();
            if (last == status::too_long) {
                return last;
            }
        }
        return last;
    }

    status drain() {
        for (;;) {
            const auto result = framer.next();
            if (result.state != status::line) {
                REQUIRE(framer.capacity() <= limit);
                return result.state;
            }
            lines.emplace_back(result.line);  // copied: the view dies at the next prepare()
        }
    }

    line_framer framer;
    std::size_t limit;
    std::vector<std::string> lines;
    std::size_t peak_capacity = 0;  // the largest buffer any read went into
};

TEST_CASE("line_framer splits LF and CRLF lines and drops only the CR before the LF", "[unit][framer]") {
    framer_driver d(1024);
    CHECK(d.feed("TIME\r\nQUIT\nhelp\r\r\n\n\r\n") == status::need_more);
    CHECK(d.lines == std::vector<std::string>{"TIME", "QUIT", "help\r", "", ""});
    CHECK(d.framer.buffered_bytes() == 0);
}

TEST_CASE("line_framer gives the same lines when fed byte by byte", "[unit][framer]") {
    framer_driver d(1024);
    const std::string input = "TIME\r\n time \nHELP\n\nTIME now\r\n";
    for (std::size_t i = 0; i < input.size(); ++i) {
        const auto state = d.feed(std::string_view(input).substr(i, 1));
        CHECK(state == status::need_more);
    }
    CHECK(d.lines == std::vector<std::string>{"TIME", " time ", "HELP", "", "TIME now"});
}

TEST_CASE("line_framer returns many pipelined lines in order", "[unit][framer]") {
    framer_driver d(64);
    std::string input;
    std::vector<std::string> expected;
    for (int i = 0; i < 1000; ++i) {
        expected.push_back("line " + std::to_string(i));
        input += expected.back() + (i % 2 == 0 ? "\n" : "\r\n");
    }
    SECTION("in reads as large as the buffer allows") {
        CHECK(d.feed(input) == status::need_more);
    }
    SECTION("in reads of 7 bytes, splitting lines and CRLFs anywhere") {
        CHECK(d.feed(input, 7) == status::need_more);
    }
    CHECK(d.lines == expected);
}

TEST_CASE("line_framer accepts a line of exactly max_line bytes, a CR included", "[unit][framer]") {
    framer_driver d(16);
    SECTION("16 bytes, then LF") {
        CHECK(d.feed(std::string(16, 'a') + "\n") == status::need_more);
        CHECK(d.lines == std::vector<std::string>{std::string(16, 'a')});
    }
    SECTION("15 bytes and a CR, then LF") {
        CHECK(d.feed(std::string(15, 'a') + "\r\n") == status::need_more);
        CHECK(d.lines == std::vector<std::string>{std::string(15, 'a')});
    }
    SECTION("16 bytes fed one at a time, then LF") {
        CHECK(d.feed(std::string(16, 'a'), 1) == status::need_more);
        CHECK(d.lines.empty());
        CHECK(d.feed("\n") == status::need_more);
        CHECK(d.lines == std::vector<std::string>{std::string(16, 'a')});
    }
}

TEST_CASE("line_framer reports max_line + 1 bytes as too long, before any LF", "[unit][framer]") {
    framer_driver d(16);
    SECTION("17 bytes in one read, no LF") {
        CHECK(d.feed(std::string(17, 'a')) == status::too_long);
    }
    SECTION("17 bytes one at a time: need_more until the 17th") {
        CHECK(d.feed(std::string(16, 'a'), 1) == status::need_more);
        CHECK(d.feed("a") == status::too_long);
    }
    SECTION("16 bytes and a CR, then LF: the CR counts") {
        CHECK(d.feed(std::string(16, 'a') + "\r\n") == status::too_long);
    }
    SECTION("17 bytes and LF in one read") {
        CHECK(d.feed(std::string(17, 'a') + "\n") == status::too_long);
    }
    SECTION("a long line after good ones") {
        CHECK(d.feed("TIME\nHELP\n" + std::string(40, 'x'), 5) == status::too_long);
        CHECK(d.lines == std::vector<std::string>{"TIME", "HELP"});
    }
    SECTION("a partial line moved to the front, then completed past the limit") {
        // 5 + 12 bytes fill the 17-byte buffer; the 12 must move to the front.
        CHECK(d.feed("TIME\n" + std::string(12, 'x')) == status::need_more);
        CHECK(d.lines == std::vector<std::string>{"TIME"});
        CHECK(d.feed(std::string(4, 'x')) == status::need_more);
        CHECK(d.framer.peek_unterminated() == std::string(16, 'x'));
        CHECK(d.feed("x") == status::too_long);
    }
    CHECK(d.framer.capacity() <= 17);
}

TEST_CASE("line_framer with max_line 1", "[unit][framer]") {
    framer_driver d(1);
    CHECK(d.feed("a\n\r\n\n") == status::need_more);
    CHECK(d.lines == std::vector<std::string>{"a", "", ""});
    CHECK(d.feed("ab") == status::too_long);
}

TEST_CASE("line_framer never holds more than max_line + 1 bytes", "[unit][framer]") {
    const std::size_t max_line = GENERATE(std::size_t{1}, std::size_t{100}, std::size_t{1024}, std::size_t{5000});
    INFO("max_line " << max_line);
    framer_driver d(max_line);
    CHECK(d.framer.capacity() <= max_line + 1);

    // Pipelined full-length lines keep the buffer at the bound, not above.
    std::string burst;
    for (int i = 0; i < 20; ++i) {
        burst += std::string(max_line, 'a') + "\n";
    }
    CHECK(d.feed(burst) == status::need_more);
    CHECK(d.lines.size() == 20);
    CHECK(d.framer.capacity() <= max_line + 1);

    // An endless line: too_long at max_line + 1 bytes, the buffer never larger.
    CHECK(d.feed(std::string(max_line * 3 + 10, 'b')) == status::too_long);
    CHECK(d.framer.buffered_bytes() == max_line + 1);
    CHECK(d.framer.capacity() == max_line + 1);
}

TEST_CASE("line_framer starts small and grows only when reads fill it", "[unit][framer]") {
    framer_driver d(4096);
    const auto initial = d.framer.capacity();
    // An idle connection should not cost a whole max-line buffer.
    CHECK(initial < 4097);
    CHECK(initial > 0);

    // Short lines, one per read, never make it grow.
    for (int i = 0; i < 100; ++i) {
        CHECK(d.feed("TIME\n") == status::need_more);
    }
    CHECK(d.framer.capacity() == initial);

    // A long partial line does, up to exactly the bound.
    CHECK(d.feed(std::string(3000, 'x')) == status::need_more);
    CHECK(d.framer.capacity() >= 3000);
    CHECK(d.framer.capacity() <= 4097);
    CHECK(d.framer.buffered_bytes() == 3000);
    CHECK(d.feed(std::string(1096, 'x') + "\n") == status::need_more);
    CHECK(d.lines.back() == std::string(4096, 'x'));
    CHECK(d.framer.capacity() == 4097);
}

// A burst grows the buffer toward --max-line; once it is drained, keeping
// that buffer would pin up to 1 MiB for the rest of a long session.
TEST_CASE("line_framer gives a burst's buffer back once every line is taken", "[unit][framer]") {
    framer_driver d(std::size_t{1} << 20);
    std::string burst;
    while (burst.size() < 200 * 1024) {
        burst += "TIME\n";
    }
    // In reads of up to 64 KiB, as a socket hands a burst over.
    CHECK(d.feed(burst, 64 * 1024) == status::need_more);
    CHECK(d.lines.size() == burst.size() / 5);
    CHECK(std::ranges::all_of(d.lines, [](const std::string& line) { return line == "TIME"; }));
    CHECK(d.framer.buffered_bytes() == 0);
    // The burst really grew it: otherwise there is nothing to give back.
    CHECK(d.peak_capacity > line_framer::kept_capacity);

    const auto space = d.framer.prepare();
    CHECK(d.framer.capacity() <= line_framer::kept_capacity);
    CHECK_FALSE(space.empty());
    // And it still frames, growing again if it must.
    CHECK(d.feed("TIME\r\n" + std::string(10'000, 'x') + "\n") == status::need_more);
    CHECK(d.lines.back() == std::string(10'000, 'x'));
}

// The usual session: a few pipelined requests at a time. Its buffer may grow
// once, when two bursts arrive together, and must then stay: shrinking it
// after every drained read would mean a reallocation at every next growth.
TEST_CASE("line_framer keeps its buffer across small pipelined bursts", "[unit][framer]") {
    framer_driver d(1024);
    std::string burst;
    for (int i = 0; i < 10; ++i) {
        burst += "TIME\r\n";
    }
    // Two bursts in one read fill the initial buffer, which grows.
    const auto initial = d.framer.capacity();
    CHECK(d.feed(burst + burst) == status::need_more);
    const auto grown = d.framer.capacity();
    CHECK(grown > initial);
    CHECK(grown <= line_framer::kept_capacity);

    for (int round = 0; round < 100; ++round) {
        INFO("round " << round);
        CHECK(d.feed(burst) == status::need_more);
        CHECK(d.framer.capacity() == grown);
        d.framer.prepare();  // drained: where a shrink would happen
        CHECK(d.framer.capacity() == grown);
    }
    CHECK(d.lines.size() == 20 + 100 * 10);
    CHECK(d.peak_capacity == grown);  // no read ever went into a larger buffer
}

TEST_CASE("line_framer hands back an unterminated last line at end of stream", "[unit][framer]") {
    framer_driver d(1024);
    SECTION("without a CR") {
        CHECK(d.feed("TIME") == status::need_more);
        CHECK(d.framer.take_unterminated() == std::optional<std::string_view>("TIME"));
    }
    SECTION("with a trailing CR, dropped as before a LF") {
        CHECK(d.feed("TIME\r") == status::need_more);
        CHECK(d.framer.take_unterminated() == std::optional<std::string_view>("TIME"));
    }
    SECTION("a lone CR is an empty line") {
        CHECK(d.feed("\r") == status::need_more);
        CHECK(d.framer.take_unterminated() == std::optional<std::string_view>(""));
    }
    SECTION("after complete lines") {
        CHECK(d.feed("HELP\nTIM") == status::need_more);
        CHECK(d.lines == std::vector<std::string>{"HELP"});
        CHECK(d.framer.peek_unterminated() == "TIM");
        CHECK(d.framer.take_unterminated() == std::optional<std::string_view>("TIM"));
    }
    // Taken once: nothing is left afterwards.
    CHECK(d.framer.buffered_bytes() == 0);
    CHECK_FALSE(d.framer.take_unterminated().has_value());
}

TEST_CASE("line_framer has nothing unterminated when every line ended", "[unit][framer]") {
    framer_driver d(1024);
    CHECK_FALSE(d.framer.take_unterminated().has_value());
    CHECK(d.feed("TIME\r\nQUIT\n") == status::need_more);
    CHECK_FALSE(d.framer.take_unterminated().has_value());
}

}  // namespace
