// time_bench_report.cpp - the output lines, shaped like loadgen.c's so that
// the two can be read (and parsed) side by side.
#include "time_bench_report.hpp"

#include <fmt/format.h>

namespace time_tools {

namespace {

double percent(double part, double whole) {
    return whole > 0 ? 100.0 * part / whole : 0.0;
}

}  // namespace

std::string human_line(const bench_result& r) {
    const auto& o = r.options;
    const auto& l = r.latency;
    if (o.mode == bench_mode::idle) {
        return fmt::format(
            "idle n={} t={}: opened {} in {:.2f}s, held {:.1f}s, answered {}, dropped {}, unanswered {}, "
            "recheck p99 {:.1f}us max {:.1f}us, errors {} (proto {}, eof {}, io {}, connect {}, timeout {}), "
            "bench cpu {:.0f}%",
            o.connections, o.threads, r.opened, r.open_s, o.hold.count(), r.answered, r.dropped, r.unanswered,
            l.percentile_us(0.99), l.max_us(), r.errors(), r.err_protocol, r.err_eof, r.err_io, r.err_connect,
            r.err_timeout, percent(r.cpu_s, r.wall_s));
    }
    const std::string depth = o.mode == bench_mode::pipeline ? fmt::format(" p={}", o.depth) : std::string();
    return fmt::format(
        "{} c={}{} t={} {:.2f}s: {} {}, {:.1f} {}/s, p50 {:.1f}us p99 {:.1f}us p99.9 {:.1f}us max {:.1f}us, "
        "errors {} (proto {}, eof {}, io {}, connect {}, timeout {}), stalled {}, bench cpu {:.0f}%",
        mode_name(o.mode), o.connections, depth, o.threads, r.window_s(), r.completed, unit_name(o.mode), r.rate(),
        unit_name(o.mode), l.percentile_us(0.5), l.percentile_us(0.99), l.percentile_us(0.999), l.max_us(), r.errors(),
        r.err_protocol, r.err_eof, r.err_io, r.err_connect, r.err_timeout, r.stalled, percent(r.cpu_s, r.wall_s));
}

std::string json_line(const bench_result& r) {
    const auto& o = r.options;
    const auto& l = r.latency;
    // loadgen's keys, in loadgen's order ("loadgen_cpu_s" is this generator's
    // CPU), then the ones loadgen does not have.
    return fmt::format(
        "{{\"mode\":\"{}\",\"host\":\"{}\",\"port\":{},\"conns\":{},\"threads\":{},\"depth\":{},"
        "\"warmup_s\":{:.3f},\"duration_s\":{:.3f},\"completed\":{},\"rps\":{:.1f},"
        "\"p50_us\":{:.1f},\"p99_us\":{:.1f},\"p999_us\":{:.1f},\"max_us\":{:.1f},\"mean_us\":{:.1f},"
        "\"errors\":{},\"err_proto\":{},\"err_eof\":{},\"err_io\":{},\"err_connect\":{},\"open_timeouts\":{},"
        "\"stalled\":{},\"opened\":{},\"open_s\":{:.3f},\"hold_s\":{:.3f},\"burst\":0,\"answered\":{},"
        "\"dropped\":{},\"unanswered\":{},\"loadgen_cpu_s\":{:.3f},\"wall_s\":{:.3f},"
        "\"generator\":\"time_bench\",\"err_timeout\":{}}}",
        mode_name(o.mode), r.target, o.port, o.connections, o.threads, o.depth,
        o.mode == bench_mode::idle ? 0.0 : o.warmup.count(), r.window_s(), r.completed, r.rate(), l.percentile_us(0.5),
        l.percentile_us(0.99), l.percentile_us(0.999), l.max_us(), l.mean_us(), r.errors(), r.err_protocol, r.err_eof,
        r.err_io, r.err_connect, r.err_timeout, r.stalled, r.opened, r.open_s,
        o.mode == bench_mode::idle ? o.hold.count() : 0.0, r.answered, r.dropped, r.unanswered, r.cpu_s, r.wall_s,
        r.err_timeout);
}

}  // namespace time_tools
