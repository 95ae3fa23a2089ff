// latency_histogram.cpp - bucket arithmetic, as in loadgen.c's hist_index().
#include "latency_histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <functional>

namespace time_tools {

unsigned latency_histogram::bucket_of(std::uint64_t ns) {
    // Below 128 ns every nanosecond has its own bucket; above, each power of
    // two is split into 64 equal buckets.
    if (ns < std::uint64_t{2} * sub_buckets) {
        return static_cast<unsigned>(ns);
    }
    const auto top_bit = static_cast<unsigned>(std::bit_width(ns)) - 1;
    const unsigned shift = top_bit - sub_bucket_bits;
    const auto bucket = static_cast<std::uint64_t>(shift) * sub_buckets + (ns >> shift);
    return static_cast<unsigned>(std::min<std::uint64_t>(bucket, bucket_count - 1));
}

double latency_histogram::bucket_middle(unsigned bucket) {
    if (bucket < 2 * sub_buckets) {
        return bucket;
    }
    const unsigned shift = bucket / sub_buckets - 1;
    const std::uint64_t low = static_cast<std::uint64_t>(bucket - shift * sub_buckets) << shift;
    const std::uint64_t high = low + (std::uint64_t{1} << shift) - 1;
    return (static_cast<double>(low) + static_cast<double>(high)) / 2.0;
}

void latency_histogram::record(std::chrono::nanoseconds latency) {
    const auto ns = static_cast<std::uint64_t>(std::max<std::int64_t>(latency.count(), 0));
    ++buckets_.at(bucket_of(ns));  // bucket_of() never exceeds the last bucket
    ++count_;
    sum_ns_ += ns;
    max_ns_ = std::max(max_ns_, ns);
}

void latency_histogram::merge(const latency_histogram& other) {
    std::transform(buckets_.begin(), buckets_.end(), other.buckets_.begin(), buckets_.begin(), std::plus<>());
    count_ += other.count_;
    sum_ns_ += other.sum_ns_;
    max_ns_ = std::max(max_ns_, other.max_ns_);
}

double latency_histogram::percentile_us(double p) const {
    if (count_ == 0) {
        return 0.0;
    }
    // The rank of the sample wanted, counted from 1, rounded up.
    const auto rank = std::max<std::uint64_t>(1,
                                              static_cast<std::uint64_t>(std::ceil(p * static_cast<double>(count_))));
    std::uint64_t seen = 0;
    unsigned bucket = 0;
    for (const std::uint64_t samples : buckets_) {
        seen += samples;
        if (seen >= rank) {
            return std::min(bucket_middle(bucket), static_cast<double>(max_ns_)) / 1000.0;
        }
        ++bucket;
    }
    return max_us();
}

double latency_histogram::mean_us() const {
    return count_ == 0 ? 0.0 : static_cast<double>(sum_ns_) / static_cast<double>(count_) / 1000.0;
}

}  // namespace time_tools
