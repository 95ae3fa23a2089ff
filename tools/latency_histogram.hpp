// latency_histogram.hpp - request latencies in nanoseconds, kept in log-linear
// buckets exactly like loadgen.c's (64 per power of two, under 1.6 % error),
// so that time_bench's percentiles can be compared with loadgen's.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>

namespace time_tools {

class latency_histogram {
public:
    void record(std::chrono::nanoseconds latency);

    // Adds another histogram's samples (one per thread or shard, merged at the end).
    void merge(const latency_histogram& other);

    std::uint64_t count() const { return count_; }

    // The latency below which a fraction `p` (0.5, 0.99, 0.999) of the samples
    // lie: the middle of its bucket, never above the maximum. In microseconds,
    // 0 when there are no samples.
    double percentile_us(double p) const;
    double max_us() const { return static_cast<double>(max_ns_) / 1000.0; }
    double mean_us() const;

private:
    static constexpr unsigned sub_bucket_bits = 6;
    static constexpr unsigned sub_buckets = 1U << sub_bucket_bits;
    static constexpr unsigned bucket_count = sub_buckets * 44;  // up to 2^50 ns: 13 days

    static unsigned bucket_of(std::uint64_t ns);
    static double bucket_middle(unsigned bucket);

    std::array<std::uint64_t, bucket_count> buckets_{};
    std::uint64_t count_ = 0;
    std::uint64_t sum_ns_ = 0;
    std::uint64_t max_ns_ = 0;
};

}  // namespace time_tools
