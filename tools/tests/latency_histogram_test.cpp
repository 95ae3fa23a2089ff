// latency_histogram_test.cpp - percentiles within a bucket's width, and merging.
#include "latency_histogram.hpp"

#include <catch2/catch.hpp>

#include <chrono>

using std::chrono::microseconds;
using std::chrono::nanoseconds;
using time_tools::latency_histogram;

TEST_CASE("an empty histogram reports zeros", "[histogram]") {
    const latency_histogram empty;
    CHECK(empty.count() == 0);
    CHECK(empty.percentile_us(0.5) == 0.0);
    CHECK(empty.max_us() == 0.0);
    CHECK(empty.mean_us() == 0.0);
}

TEST_CASE("percentiles land within 1.6 % of the true sample", "[histogram]") {
    latency_histogram h;
    for (int us = 1; us <= 1000; ++us) {
        h.record(microseconds(us));
    }
    CHECK(h.count() == 1000);
    CHECK(h.percentile_us(0.5) == Approx(500).epsilon(0.016));
    CHECK(h.percentile_us(0.99) == Approx(990).epsilon(0.016));
    CHECK(h.percentile_us(0.999) == Approx(999).epsilon(0.016));
    CHECK(h.percentile_us(1.0) <= h.max_us());
    CHECK(h.max_us() == 1000.0);
    CHECK(h.mean_us() == Approx(500.5));
}

TEST_CASE("small values are exact and huge ones are clamped, not lost", "[histogram]") {
    latency_histogram h;
    h.record(nanoseconds(7));
    CHECK(h.percentile_us(0.5) == Approx(0.007));
    h.record(std::chrono::hours(24 * 365));  // beyond the last bucket
    CHECK(h.count() == 2);
    CHECK(h.percentile_us(1.0) <= h.max_us());
}

TEST_CASE("merging adds the samples of both histograms", "[histogram]") {
    latency_histogram fast;
    latency_histogram slow;
    for (int i = 0; i < 90; ++i) {
        fast.record(microseconds(10));
    }
    for (int i = 0; i < 10; ++i) {
        slow.record(microseconds(1000));
    }
    fast.merge(slow);
    CHECK(fast.count() == 100);
    CHECK(fast.percentile_us(0.5) == Approx(10).epsilon(0.016));
    CHECK(fast.percentile_us(0.95) == Approx(1000).epsilon(0.016));
    CHECK(fast.max_us() == 1000.0);
}
