#!/usr/bin/env python3
"""summarize.py - combine passes of bench/run.sh into docs/benchmarks.md and chart data.

    summarize.py collect CELLS.jsonl --meta META_JSON --out RUN.json
        wrap one pass's cell records (one JSON object a line, as bench/run.sh writes them) and
        its metadata into RUN.json, and print that pass's table
    summarize.py machine OUT.json [--commit TEXT] [--pre-run BUSY_PCT/LOADAVG]...
        record the machine (CPU, kernel, memory, compiler and library versions) as JSON;
        --pre-run (once per run) is how busy the CPUs were just before it, e.g. "3.5/0.41 0.80 1.02"
    summarize.py report [--machine M.json] [--md OUT.md] [--chart-data OUT.dat]
                        [--png NAME] RUN.json...
        median over the runs of every (server, variant, cell); print the Markdown and
        write it to OUT.md; write the chart's data for bench/chart.gp to OUT.dat

RUN.json is {"meta": {...}, "cells": [record, ...]} with one record per (server, variant,
cell): server, variant, cell, rc, server_cpu_s, server_alive, result (bench/loadgen's JSON
line or null); for the idle cell also ready, rss_before_kib, rss_hold_kib and idle_n; for the
sys_c50 / sys_c1000 cells syscalls_per_reply ({"total": ..., "<syscall>": ...} or null).
Standard library only.
"""
import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time

CPP = "cpp"
# Diagnostic rows (bench/report.sh adds them): not targets; each gets its own table under the
# targets, the epoll targets again with it as the numerator (DIAGNOSES below), and stays off the chart.
# The same binary with --threads 1: what the shared multi-threaded io_context costs
# (docs/performance.md explains it).
ONE_THREAD = "cpp-1thread"
# The same source built with Asio's io_uring backend (CMake preset release-io_uring): where the
# system calls per request go (docs/performance.md, System calls per request).
IO_URING = "cpp-io_uring"
ANCHOR = "epoll"
PREFERRED = [CPP, ONE_THREAD, IO_URING, ANCHOR, "go", "python"]
BUSY_PCT = 10.0  # CPU busy with other work before a run, in %, above which the page says "draft"
THROUGHPUT_CELLS = ["pp_c1", "pp_c50", "pp_c1000", "pipe_c50_p64", "churn_c50"]


# ----------------------------------------------------------------------------- machine
def _cmd(args):
    try:
        out = subprocess.run(args, capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return out.stdout.strip() if out.returncode == 0 else ""


def _boost_version():
    for inc in ("/usr/include", "/usr/local/include"):
        try:
            with open(os.path.join(inc, "boost", "version.hpp")) as f:
                m = re.search(r"#define\s+BOOST_VERSION\s+(\d+)", f.read())
        except OSError:
            continue
        if m:
            v = int(m.group(1))
            return "%d.%d.%d" % (v // 100000, v // 100 % 1000, v % 100)
    return ""


def machine(args):
    cpu_model = ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu_model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem_kib = 0
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    mem_kib = int(line.split()[1])
                    break
    except OSError:
        pass
    go = _cmd(["go", "version"]).split()
    pre = []
    for text in args.pre_run or []:
        busy, _, load = text.partition("/")
        try:
            pre.append({"busy_pct": float(busy), "loadavg": load.strip()})
        except ValueError:
            pre.append({"busy_pct": None, "loadavg": load.strip()})
    info = {
        "date": time.strftime("%Y-%m-%d %H:%M %Z"),
        "nproc": int(_cmd(["nproc"]) or os.cpu_count() or 0),
        "cpu_model": cpu_model,
        "kernel": platform.release(),
        "mem_total_kib": mem_kib,
        "gcc": _cmd(["gcc", "-dumpfullversion"]),
        "go": go[2] if len(go) > 2 else "",
        "python": _cmd(["python3", "-c", "import platform; print(platform.python_version())"]),
        "boost": _boost_version(),
        "commit": args.commit or "",
        "pre_run": pre,
    }
    with open(args.out, "w") as f:
        json.dump(info, f, indent=1)
        f.write("\n")
    return 0


# ----------------------------------------------------------------------------- loading
class Run:
    def __init__(self, path):
        with open(path) as f:
            data = json.load(f)
        self.path = path
        self.meta = data.get("meta", {})
        self.by = {}  # (server, variant) -> cell -> record
        for c in data.get("cells", []):
            self.by.setdefault((c["server"], c["variant"]), {})[c["cell"]] = c

    def rec(self, key, cell):
        return self.by.get(key, {}).get(cell)


def idle_cell_name(runs):
    n = next((r.meta.get("idle_n") for r in runs if r.meta.get("idle_n")), 10000)
    return "idle_n%d" % n, n


# ----------------------------------------------------------------------------- metrics
# each takes a record and returns a number or None
def m_field(field):
    def get(rec):
        r = rec.get("result") if rec else None
        v = r.get(field) if r else None
        return float(v) if v is not None else None
    return get


m_rps = m_field("rps")
m_p99 = m_field("p99_us")
m_answered = m_field("answered")


def m_cpu(rec):
    if not rec or rec.get("result") is None:
        return None
    return float(rec.get("server_cpu_s", 0.0))


def m_cpu_per_req_us(rec):
    r = rec.get("result") if rec else None
    if not r or not r.get("completed"):
        return None
    return 1e6 * float(rec.get("server_cpu_s", 0.0)) / float(r["completed"])


def m_sys(name):
    """system calls per reply from a sys_c* cell: name "total" or one syscall ("recvfrom")"""
    def get(rec):
        per = rec.get("syscalls_per_reply") if rec else None
        if not per:
            return None
        return float(per.get(name, 0.0))
    return get


SYSCALL_COLUMNS = ["recvfrom", "read", "sendto", "write", "epoll_wait", "epoll_pwait", "futex", "epoll_ctl"]
# columns shown only when some row makes the call (the cpp-io_uring row's)
OPTIONAL_SYSCALL_COLUMNS = ["io_uring_enter"]


def m_kib_per_conn(rec):
    if not rec or not rec.get("ready") or not rec.get("idle_n"):
        return None
    return (rec["rss_hold_kib"] - rec["rss_before_kib"]) / float(rec["idle_n"])


def m_per_wall(field_fn):
    def get(rec):
        r = rec.get("result") if rec else None
        if not r or not r.get("wall_s"):
            return None
        return field_fn(rec, r) / float(r["wall_s"])
    return get


m_srv_cpu_wall = m_per_wall(lambda c, r: float(c.get("server_cpu_s", 0.0)))
m_lg_cpu_wall = m_per_wall(lambda c, r: float(r.get("loadgen_cpu_s", 0.0)))


def values(runs, key, cell, metric):
    out = []
    for run in runs:
        v = metric(run.rec(key, cell))
        if v is not None:
            out.append(v)
    return out


def med(vals):
    return statistics.median(vals) if vals else None


def ratios(runs, num_key, num_cell, den_key, den_cell, metric):
    """per-run ratio num/den, for runs that have both (and a positive den)"""
    out = []
    for run in runs:
        a = metric(run.rec(num_key, num_cell))
        b = metric(run.rec(den_key, den_cell))
        if a is not None and b is not None and b > 0:
            out.append(a / b)
    return out


def problems(runs, key, cell):
    """notes for cells that had errors, a bad exit, a dead server or no result in some run"""
    n = len(runs)
    err = died = fail = 0
    for run in runs:
        c = run.rec(key, cell)
        if c is None:
            continue
        r = c.get("result")
        if r is None:
            fail += 1
            continue
        if r.get("errors"):
            err += 1
        if not c.get("server_alive", 1):
            died += 1
    notes = []
    if err:
        notes.append("errors in %d/%d runs" % (err, n))
    if died:
        notes.append("server died in %d/%d" % (died, n))
    if fail:
        notes.append("no result in %d/%d" % (fail, n))
    return notes


def present(runs, key, cell):
    return any(run.rec(key, cell) is not None for run in runs)


# ----------------------------------------------------------------------------- formatting
def fmt_int(v):
    return "{:,}".format(int(round(v))) if v is not None else "—"


def fmt_us(v):
    if v is None:
        return "—"
    return "{:,.0f}".format(v) if v >= 100 else "{:.1f}".format(v)


def fmt_ratio(v, digits=2):
    return ("%." + str(digits) + "f×") % v if v is not None else "—"


def mark(runs, key, cell, text):
    if not present(runs, key, cell):
        return "—"
    notes = problems(runs, key, cell)
    if text == "—" and any(run.rec(key, cell) is not None for run in runs):
        text = "FAIL"
    return text + (" ⚠ " + ", ".join(notes) if notes else "")


def label(key):
    name, variant = key
    return name + (" (logged)" if variant == "logged" else "")


def ordered_keys(runs):
    seen = []
    for run in runs:
        for key in run.by:
            if key not in seen:
                seen.append(key)
    names = [n for n in PREFERRED if any(k[0] == n for k in seen)]
    names = list(dict.fromkeys(names + [k[0] for k in seen]))
    keys = []
    for n in names:
        for variant in ("quiet", "logged"):
            if (n, variant) in seen:
                keys.append((n, variant))
    for k in seen:
        if k not in keys:
            keys.append(k)
    return keys


# ----------------------------------------------------------------------------- tables
def results_table(runs, keys, idle_cell, idle_n):
    head = ["server", "pp c=1 rps", "p99 µs", "pp c=50 rps", "p99 µs", "vs epoll",
            "pp c=1000 rps", "p99 µs", "pipeline c=50 p=64 replies/s", "churn c=50 conn/s",
            "idle n=%d answered" % idle_n, "KiB/conn", "syscalls/req c=50", "syscalls/req c=1000"]
    lines = ["| " + " | ".join(head) + " |",
             "|" + "|".join(["---"] + ["---:"] * (len(head) - 1)) + "|"]
    anchor = (ANCHOR, "quiet")
    for key in keys:
        name, variant = key
        row = [label(key)]
        for cell in ("pp_c1", "pp_c50"):
            if variant == "logged" and cell != "pp_c50":
                row += ["—", "—"]
                continue
            row.append(mark(runs, key, cell, fmt_int(med(values(runs, key, cell, m_rps)))))
            row.append(fmt_us(med(values(runs, key, cell, m_p99))))
        row.append(fmt_ratio(med(ratios(runs, key, "pp_c50", anchor, "pp_c50", m_rps))))
        if variant == "logged":
            row += ["—"] * 8
        else:
            row.append(mark(runs, key, "pp_c1000", fmt_int(med(values(runs, key, "pp_c1000", m_rps)))))
            row.append(fmt_us(med(values(runs, key, "pp_c1000", m_p99))))
            row.append(mark(runs, key, "pipe_c50_p64", fmt_int(med(values(runs, key, "pipe_c50_p64", m_rps)))))
            row.append(mark(runs, key, "churn_c50", fmt_int(med(values(runs, key, "churn_c50", m_rps)))))
            answered = values(runs, key, idle_cell, m_answered)
            if answered:
                row.append(mark(runs, key, idle_cell, "%d/%d" % (min(answered), idle_n)))
            else:
                row.append("FAIL" if present(runs, key, idle_cell) else "—")
            row.append(("%.2f" % med(values(runs, key, idle_cell, m_kib_per_conn)))
                       if values(runs, key, idle_cell, m_kib_per_conn) else "—")
            for cell in ("sys_c50", "sys_c1000"):
                v = med(values(runs, key, cell, m_sys("total")))
                row.append("%.2f" % v if v is not None else
                           ("not available" if not any(r.meta.get("perf") for r in runs) else "—"))
        lines.append("| " + " | ".join(row) + " |")
    return lines


def cpu_table(runs, keys):
    head = ["server"] + THROUGHPUT_CELLS + ["server CPU µs/request, pp_c50"]
    lines = ["| " + " | ".join(head) + " |", "|---|" + "|".join(["---:"] * (len(head) - 1)) + "|"]
    for key in keys:
        out = []
        for cell in THROUGHPUT_CELLS:
            s = med(values(runs, key, cell, m_srv_cpu_wall))
            g = med(values(runs, key, cell, m_lg_cpu_wall))
            out.append("%.2f / %.2f" % (s, g) if s is not None and g is not None else "—")
        out.append(fmt_us(med(values(runs, key, "pp_c50", m_cpu_per_req_us))))
        lines.append("| %s | %s |" % (label(key), " | ".join(out)))
    return lines


def syscall_table(runs, keys):
    """the calls behind the syscalls/req columns, per reply, medians over runs"""
    lines = []
    for cell, title in (("sys_c50", "pingpong c=50"), ("sys_c1000", "pingpong c=1000")):
        rows = [k for k in keys if k[1] == "quiet" and values(runs, k, cell, m_sys("total"))]
        if not rows:
            continue
        columns = SYSCALL_COLUMNS + [c for c in OPTIONAL_SYSCALL_COLUMNS
                                     if any(med(values(runs, k, cell, m_sys(c))) for k in rows)]
        head = ["server, " + title, "total"] + ["`%s`" % c for c in columns] + ["other"]
        lines += ["| " + " | ".join(head) + " |", "|---|" + "|".join(["---:"] * (len(head) - 1)) + "|"]
        for key in rows:
            total = med(values(runs, key, cell, m_sys("total")))
            parts = [med(values(runs, key, cell, m_sys(c))) or 0.0 for c in columns]
            other = max(0.0, total - sum(parts))
            lines.append("| %s | %.2f | %s | %.2f |" % (
                label(key), total, " | ".join("%.2f" % v if v >= 0.005 else "0" for v in parts), other))
        lines.append("")
    return lines


def collect(args):
    """one pass: cell records + metadata -> RUN.json, and the pass's own table on stdout"""
    meta = json.loads(args.meta)
    cells = []
    with open(args.cells) as f:
        for line in f:
            line = line.strip()
            if line:
                cells.append(json.loads(line))
    with open(args.out, "w") as f:
        json.dump({"meta": meta, "cells": cells}, f, indent=1)
        f.write("\n")
    run = Run(args.out)
    keys = ordered_keys([run])
    idle_cell, idle_n = idle_cell_name([run])
    sys.stdout.write("\n".join(results_table([run], keys, idle_cell, idle_n)) + "\n")
    return 0


# The targets measured against the epoll peer of the same run: (row, cell, metric, goal, ok, format, unit).
# cpp's figure ÷ epoll's in each run, median over runs. The same list, with a diagnostic server
# (DIAGNOSES) as the numerator, makes that server's diagnosis table.
EPOLL_TARGETS = [
    ("server system calls per request, pingpong c=50", "sys_c50", m_sys("total"), "≤ 1.10× epoll's",
     lambda v: v <= 1.10, lambda v: "%.2f" % v if v is not None else "—", " calls/request"),
    ("server system calls per request, pingpong c=1000", "sys_c1000", m_sys("total"), "≤ 1.10× epoll's",
     lambda v: v <= 1.10, lambda v: "%.2f" % v if v is not None else "—", " calls/request"),
    ("pingpong c=50, requests/s", "pp_c50", m_rps, "≥ 0.95× epoll's", lambda v: v >= 0.95, fmt_int, " req/s"),
    ("server CPU per request, pingpong c=50", "pp_c50", m_cpu_per_req_us, "≤ 1.15× epoll's",
     lambda v: v <= 1.15, fmt_us, " µs"),
    ("pingpong c=1000, requests/s", "pp_c1000", m_rps, "≥ 0.90× epoll's", lambda v: v >= 0.90, fmt_int, " req/s"),
    ("pingpong c=1000, p99 latency", "pp_c1000", m_p99, "≤ 1.00× epoll's", lambda v: v <= 1.00, fmt_us, " µs"),
    ("pipeline c=50 p=64, replies/s", "pipe_c50_p64", m_rps, "≥ 0.90× epoll's", lambda v: v >= 0.90, fmt_int,
     " replies/s"),
    ("churn c=50, connections/s", "churn_c50", m_rps, "≥ 0.90× epoll's", lambda v: v >= 0.90, fmt_int, " conn/s"),
]

# The cells of the "against the Go server" target: (name, cell, metric, higher is better, format);
# "{idle}" is replaced by the idle cell's name.
GO_CELLS = [
    ("pp c=1 req/s", "pp_c1", m_rps, True, fmt_int),
    ("pp c=50 req/s", "pp_c50", m_rps, True, fmt_int),
    ("pp c=1000 req/s", "pp_c1000", m_rps, True, fmt_int),
    ("pp c=50 p99 µs", "pp_c50", m_p99, False, fmt_us),
    ("pp c=1000 p99 µs", "pp_c1000", m_p99, False, fmt_us),
    ("pipeline replies/s", "pipe_c50_p64", m_rps, True, fmt_int),
    ("churn conn/s", "churn_c50", m_rps, True, fmt_int),
    ("idle KiB/conn", "{idle}", m_kib_per_conn, False, lambda v: "%.2f" % v),
    ("syscalls/request c=50", "sys_c50", m_sys("total"), False, lambda v: "%.2f" % v),
    ("syscalls/request c=1000", "sys_c1000", m_sys("total"), False, lambda v: "%.2f" % v),
    ("server CPU µs/request pp c=50", "pp_c50", m_cpu_per_req_us, False, fmt_us),
]

# Why the epoll reactor costs a system call more per request than the epoll peer (both system-call rows).
_SYSCALL_EXPLANATION = [
    "Boost 1.81's Asio epoll reactor reads once more after every readiness event "
    "(`reactive_socket_service_base::async_receive` always allows a speculative read, and in request/reply "
    "traffic it finds nothing): two `recvfrom` per request against the epoll peer's one, in every run, "
    "whatever the session does. The cause is in Asio's reactor, not in this code; the change it would take "
    "is a backend without that read.",
    (IO_URING, "Asio's io_uring backend is one: the same session code on it makes about one system call per "
               "request (the *io_uring backend* table below), but in the same runs it served fewer requests "
               "per second at a higher p99, so the default build keeps the epoll reactor (README, *The I/O "
               "backend*; src/operations/io_backend.cmake).",
     "Asio's io_uring backend is one, but it was slower in this project's measurements, so the default "
     "build keeps the epoll reactor (README, *The I/O backend*)."),
]

# Why a target is not met, keyed by its row in the targets table ("{idle_n}" stands for the idle cell's
# connection count as the row writes it, e.g. 10,000). Printed under the table only while that row's
# result is "not met"; keep each one true to the code and the figures it explains. A value is a string
# or a list of parts joined by spaces, where a part (server, text[, otherwise]) is text when that
# diagnostic server's table (DIAGNOSES) is printed and otherwise (or nothing) when it is not, so that
# a sentence pointing at the table "below" stays true.
NOT_MET_EXPLANATIONS = {
    "server system calls per request, pingpong c=50": _SYSCALL_EXPLANATION,
    "server system calls per request, pingpong c=1000": _SYSCALL_EXPLANATION,
    "pingpong c=1000, requests/s": [
        "At 1,000 connections the epoll peer gets faster than at 50 (each `epoll_wait` returns more events), "
        "while the epoll reactor's cost per request stays at three system calls. Nothing in the session grows "
        "with the number of clients: callgrind counts 1,878 instructions per request at c=50 and 2,002 at "
        "c=1,000, the setting-up of the 1,000 connections included (docs/performance.md).",
        (IO_URING, "Without the extra read (the io_uring backend table below) it is slower still."),
    ],
    "pingpong c=1000, p99 latency": [
        "The shared io_context's second thread costs it here: on this 2-core machine the load generator "
        "needs one core, and a session resumes on whichever thread is free.",
        (ONE_THREAD, "The same binary with `--threads 1` (the *One thread* table below) has its p99 next to "
                     "the peer's."),
        "Where latency at many clients matters more than one process's throughput, run `--threads 1` "
        "processes sharing the port with `--reuse-port` (docs/deploy.md), one per core, as the epoll peer "
        "runs one loop per core.",
    ],
    "idle n={idle_n}, server memory per connection":
        "The epoll peer keeps a 48-byte struct per connection and allocates a line buffer only while a "
        "connection holds an incomplete line, so an idle connection costs it one small heap block beyond "
        "the kernel's socket. Every Asio socket costs user-space memory of its own before any session code "
        "runs: the reactor's per-descriptor state (168 bytes with the epoll reactor) and the pending receive "
        "operation with its handler; a `co_spawn`ed session adds Asio's entry-point frame and its own frame. "
        "The breakdown, measured with heaptrack and gdb, is in "
        "[performance.md](performance.md#memory-per-idle-connection). Meeting the target takes not keeping "
        "an Asio socket and a coroutine per idle connection, i.e. giving up the design this project exists "
        "to show (docs/protocol.md, README).",
}


def no_syscall_data(runs):
    if not any(r.meta.get("perf") for r in runs):
        return "no data (perf could not read the syscall tracepoints)"
    return "no data (perf counted no system calls for both servers in any run)"


def targets(runs, idle_cell, idle_n):
    """[(what, measured, per-run, target, verdict)]"""
    cpp, epoll, go = (CPP, "quiet"), (ANCHOR, "quiet"), ("go", "quiet")
    n_idle = "{:,}".format(idle_n)
    rows = []

    def verdict(value, ok, cpp_cells):
        if value is None:
            return "no data"
        bad = []
        for key, cell in cpp_cells:
            bad += problems(runs, key, cell)
        v = "**met**" if ok(value) else "**not met**"
        return v + (" (⚠ cpp: " + "; ".join(bad) + ")" if bad else "")

    def per_run(rs, digits=2):
        if not rs:
            return "—"
        text = ", ".join(("%." + str(digits) + "f") % r for r in rs)
        return text + (" (%d of %d runs)" % (len(rs), len(runs)) if len(rs) < len(runs) else "")

    def ratio_row(what, num, den, cell_n, cell_d, metric, target_text, ok, unit_fmt, unit, no_data="no data"):
        rs = ratios(runs, num, cell_n, den, cell_d, metric)
        v = med(rs)
        a = med(values(runs, num, cell_n, metric))
        b = med(values(runs, den, cell_d, metric))
        measured = "%s (%s %s vs %s %s%s)" % (
            fmt_ratio(v, 3), label(num), unit_fmt(a), label(den), unit_fmt(b), unit) if v is not None else "—"
        rows.append((what, measured, per_run(rs), target_text,
                     verdict(v, ok, [(num, cell_n)]) if v is not None else no_data))

    for what, cell, metric, goal, ok, unit_fmt, unit in EPOLL_TARGETS:
        ratio_row(what, cpp, epoll, cell, cell, metric, goal, ok, unit_fmt, unit,
                  no_syscall_data(runs) if cell.startswith("sys_") else "no data")

    # idle: every connection answers in every run
    full = []
    for run in runs:
        c = run.rec(cpp, idle_cell)
        r = c.get("result") if c else None
        if c is None:
            continue
        full.append(bool(r) and c.get("ready") and c.get("server_alive", 1)
                    and int(r.get("answered", 0)) == idle_n and not r.get("errors"))
    answered = values(runs, cpp, idle_cell, m_answered)
    what = "idle n=%s, every connection answers" % n_idle
    goal = "%s/%s in every run" % (n_idle, n_idle)
    if full:
        measured = "%s/%s answered in the worst run; all answered in %d/%d runs" % (
            "{:,}".format(int(min(answered))) if answered else "0", n_idle, sum(full), len(full))
        rows.append((what, measured, ", ".join("{:,}".format(int(a)) for a in answered) or "—", goal,
                     "**met**" if all(full) else "**not met**"))
    else:
        rows.append((what, "—", "—", goal, "no data"))

    # idle: memory per connection, cpp's RSS growth ÷ epoll's in each run
    what = "idle n=%s, server memory per connection" % n_idle
    goal = "≤ epoll's (≤ 1.00×)"
    kib_fmt = lambda v: "%.2f" % v if v is not None else "—"
    if ratios(runs, cpp, idle_cell, epoll, idle_cell, m_kib_per_conn):
        ratio_row(what, cpp, epoll, idle_cell, idle_cell, m_kib_per_conn, goal, lambda v: v <= 1.0,
                  kib_fmt, " KiB/conn")
    else:  # no run with both, or epoll's RSS did not grow: compare the medians themselves
        a = med(values(runs, cpp, idle_cell, m_kib_per_conn))
        b = med(values(runs, epoll, idle_cell, m_kib_per_conn))
        if a is None or b is None:
            rows.append((what, "—", "—", goal, "no data"))
        else:
            rows.append((what, "cpp %s vs epoll %s KiB/conn (no ratio: epoll's RSS did not grow)"
                         % (kib_fmt(a), kib_fmt(b)), "—", goal, verdict(a - b, lambda d: d <= 0, [(cpp, idle_cell)])))

    ratio_row("logged / quiet, pingpong c=50", (CPP, "logged"), cpp, "pp_c50", "pp_c50", m_rps,
              "≥ 0.90× (cpp logged ÷ cpp quiet)", lambda v: v >= 0.90, fmt_int, " req/s")
    rows.append(go_row(runs, idle_cell, verdict))
    return rows


def go_row(runs, idle_cell, verdict):
    """cpp ahead of go in every cell where more (or less) is better: cpp ÷ go per run, median"""
    cpp, go = (CPP, "quiet"), ("go", "quiet")
    what, goal = "every cell against the Go server", "cpp ahead in every cell"
    behind, missing, measured_cells = [], [], []
    per_run_ahead = [[0, 0] for _ in runs]  # [ahead, cells with both figures] in each run
    for name, cell, metric, higher, unit_fmt in GO_CELLS:
        cell = cell.replace("{idle}", idle_cell)
        rs = ratios(runs, cpp, cell, go, cell, metric)
        if not rs:
            missing.append(name)
            continue
        measured_cells.append(cell)
        v = med(rs)
        if not (v > 1.0 if higher else v < 1.0):
            behind.append("%s %s (cpp %s vs go %s)" % (name, fmt_ratio(v, 3), unit_fmt(med(values(
                runs, cpp, cell, metric))), unit_fmt(med(values(runs, go, cell, metric)))))
        for i, run in enumerate(runs):
            a, b = metric(run.rec(cpp, cell)), metric(run.rec(go, cell))
            if a is not None and b:
                per_run_ahead[i][1] += 1
                per_run_ahead[i][0] += (a / b > 1.0) if higher else (a / b < 1.0)
    total = len(measured_cells)
    if not total:
        return (what, "—", "—", goal, "no data")
    if behind:
        measured = "behind in %d of %d cells (cpp ÷ go): %s" % (len(behind), total, "; ".join(behind))
    else:
        measured = "ahead in all %d cells" % total
    if missing:
        measured += "; no data: %s" % ", ".join(missing)
    per_run = ", ".join("%d/%d" % (a, m) for a, m in per_run_ahead if m) or "—"
    return (what, measured, per_run + " ahead", goal,
            verdict(len(behind), lambda k: k == 0, [(cpp, c) for c in dict.fromkeys(measured_cells)]))


def explanation(value, shown):
    """one NOT_MET_EXPLANATIONS value as text; shown: the diagnostic servers whose table is printed"""
    if isinstance(value, str):
        return value
    parts = []
    for p in value:
        if isinstance(p, tuple):
            p = p[1] if p[0] in shown else (p[2] if len(p) > 2 else "")
        if p:
            parts.append(p)
    return " ".join(parts)


def not_met_notes(rows, idle_n, shown=()):
    """the explanations of NOT_MET_EXPLANATIONS for the rows whose result is "not met" """
    text = {k.replace("{idle_n}", "{:,}".format(idle_n)): v for k, v in NOT_MET_EXPLANATIONS.items()}
    return ["**Not met: %s.** %s" % (r[0], explanation(text[r[0]], shown)) for r in rows
            if r[4].startswith("**not met**") and r[0] in text]


# The diagnostic servers, each with the heading and introduction of its table under the targets.
DIAGNOSES = [
    (ONE_THREAD, "One thread",
     "The targets are for the design as shipped: one `io_context` run by as many threads as CPUs. The "
     "same binary with `--threads 1`, measured in the same runs, shows what that shared, "
     "multi-threaded `io_context` costs on this 2-core machine, where the load generator needs one "
     "core of its own (what the second thread costs, and what was tried: "
     "[performance.md](performance.md#the-shared-multi-threaded-io_context)):"),
    (IO_URING, "io_uring backend",
     "The same `time_server` built with Asio's io_uring backend (`cmake --preset release-io_uring`), "
     "measured in the same runs: not a target, the measurement that locates the system-call shortfall "
     "(docs/performance.md, System calls per request). It is not the default (README, *The I/O "
     "backend*); on Debian 12's Boost 1.81 it is built for measuring only."),
]
DIAGNOSTIC_SERVERS = [d[0] for d in DIAGNOSES]


def diagnosis_rows(runs, server):
    """The epoll targets again with a diagnostic server as the numerator:
    [(what, measured, per-run, goal, verdict)]"""
    one, epoll = (server, "quiet"), (ANCHOR, "quiet")
    rows = []
    for what, cell, metric, goal, ok, unit_fmt, unit in EPOLL_TARGETS:
        rs = ratios(runs, one, cell, epoll, cell, metric)
        v = med(rs)
        if v is None:
            continue
        a = med(values(runs, one, cell, metric))
        b = med(values(runs, epoll, cell, metric))
        bad = problems(runs, one, cell)
        rows.append(("%s, %s ÷ epoll" % (what, server),
                     "%s (%s %s vs epoll %s%s)" % (fmt_ratio(v, 3), server, unit_fmt(a), unit_fmt(b), unit),
                     ", ".join("%.2f" % r for r in rs), goal,
                     ("would be met" if ok(v) else "would not be met") + (" (⚠ " + "; ".join(bad) + ")" if bad else "")))
    return rows


# ----------------------------------------------------------------------------- chart data
CHART_CELLS = [("pp_c50", "pingpong c=50"), ("pp_c1000", "pingpong c=1000"), ("churn_c50", "churn c=50"),
               ("pipe_c50_p64", "pipeline c=50 p=64")]


def chart_data(runs, keys, path):
    """one row per cell; per server: median, min, max (thousands/s; pipeline in millions/s)"""
    servers = [k for k in keys if k[1] == "quiet"]
    with open(path, "w") as f:
        f.write("# cell " + " ".join("%s_med %s_min %s_max" % (k[0], k[0], k[0]) for k in servers) + "\n")
        for cell, title in CHART_CELLS:
            scale = 1e6 if cell.startswith("pipe") else 1e3
            cols = []
            for k in servers:
                vs = values(runs, k, cell, m_rps)
                if vs:
                    cols += ["%.4f" % (med(vs) / scale), "%.4f" % (min(vs) / scale), "%.4f" % (max(vs) / scale)]
                else:
                    cols += ["?", "?", "?"]
            f.write('"%s" %s\n' % (title, " ".join(cols)))
    return " ".join(k[0] for k in servers)


# ----------------------------------------------------------------------------- report
def report(args):
    runs = [Run(p) for p in args.runs]
    runs.sort(key=lambda r: str(r.meta.get("date", "")))
    if not runs:
        print("summarize.py: no runs", file=sys.stderr)
        return 2
    mach = {}
    if args.machine:
        with open(args.machine) as f:
            mach = json.load(f)
    keys = ordered_keys(runs)
    idle_cell, idle_n = idle_cell_name(runs)
    n = len(runs)
    m0 = runs[0].meta
    quick = any(r.meta.get("quick") for r in runs)
    cell_s = sorted({str(r.meta.get("cell_s")) for r in runs})
    warm_s = sorted({str(r.meta.get("warmup_s")) for r in runs})
    hold_s = sorted({str(r.meta.get("idle_hold_s")) for r in runs})
    nproc = mach.get("nproc") or m0.get("host_cpus")

    L = []
    L.append("# Benchmarks")
    L.append("")
    L.append("<!-- generated by bench/report.sh (bench/summarize.py); edit those, not this file -->")
    L.append("")
    pre = mach.get("pre_run", [])
    busy = [p.get("busy_pct") is not None and p["busy_pct"] >= BUSY_PCT for p in pre]
    if quick or n < 3 or any(busy):
        why = []
        if quick:
            why.append("1 s cells (`--quick`)")
        if n < 3:
            why.append("%d run%s instead of 3" % (n, "" if n == 1 else "s"))
        if any(busy):
            why.append("a machine busy with other work (see *Machine* below)")
        L.append("> **Draft**: %s. Treat the figures as indicative only; the final table comes from "
                 "`bench/report.sh` (3 full runs) on an otherwise idle machine." % "; ".join(why))
        L.append("")
    L.append("`time_server` (the release build, `--log-level off`, one `io_context` run by as many threads "
             "as CPUs) against three peer servers written for this comparison (`bench/peers/`), all on 127.0.0.1 "
             "and all driven by the same load generator, `bench/loadgen` (one epoll thread; it checks every reply "
             "byte against `JAM hh:mm:ss\\r\\n` and counts anything else as an error). Every peer passes "
             "`bench/tests/check_peer.py`, the whole wire contract bar logging and limits:")
    L.append("")
    L.append("- **cpp**: this repository's `time_server`;")
    if any(k[0] == ONE_THREAD for k in keys):
        L.append("- **%s**: the same `time_server` with `--threads 1`: not a target, a diagnosis (see *One "
                 "thread* below);" % ONE_THREAD)
    if any(k[0] == IO_URING for k in keys):
        L.append("- **%s**: the same `time_server` built with Asio's io_uring backend: not a target, a "
                 "diagnosis (see *io_uring backend* below);" % IO_URING)
    L.append("- **epoll**: C (`bench/peers/epoll_server.c`), an edge-triggered epoll loop per thread (one per "
             "CPU) on its own `SO_REUSEPORT` listener, no logging: the upper bound;")
    L.append("- **go**: Go, standard library only (`bench/peers/go/`), a goroutine per connection with `bufio` "
             "(`-quiet`);")
    L.append("- **python**: the classroom original re-created (`bench/peers/time_server.py`): a thread per "
             "connection, `logging` in the original's Indonesian lines (`--quiet`: warnings only).")
    L.append("")
    L.append("Cells (each %s s measured after %s s of warm-up; connections are opened and verified first):"
             % ("/".join(cell_s), "/".join(warm_s)))
    L.append("")
    L.append("- **pp c=N** (pingpong): N connections, each sends `TIME` and waits for the reply before the next; "
             "requests/s and the p99 round trip;")
    L.append("- **pipeline c=50 p=64**: 64 requests in flight on each of 50 connections; replies/s;")
    L.append("- **churn c=50**: 50 concurrent loops of connect, `TIME` + `QUIT`, reply, close; connections/s;")
    L.append("- **idle n=%d**: %d connections opened and held %s s, then each sends `TIME` again; *answered* "
             "counts the replies (worst run), *KiB/conn* is the growth of the server's RSS while holding them ÷ %d;"
             % (idle_n, idle_n, "/".join(hold_s), idle_n))
    L.append("- **(logged)**: pingpong c=50 again with the server's default logging on, written to a file.")
    L.append("")
    L.append("Each server is started fresh for the throughput cells, again for the idle cell and again for the "
             "logged cell. Every figure below is the **median over %d run%s** (ratios: the median of the per-run "
             "ratios, each taken within one run)." % (n, "" if n == 1 else "s"))
    L.append("")
    L.append("**Machine.** %s CPUs (%s), %s MiB memory, Linux %s; gcc %s, %s, Python %s, Boost %s; "
             "`time_server` at %s; %s."
             % (nproc, mach.get("cpu_model") or "model unknown",
                "{:,}".format(mach.get("mem_total_kib", 0) // 1024) if mach.get("mem_total_kib") else "?",
                mach.get("kernel") or m0.get("kernel", "?"), mach.get("gcc") or m0.get("gcc", "?"),
                mach.get("go") or m0.get("go") or "no Go", mach.get("python") or m0.get("python", "?"),
                mach.get("boost") or "?", mach.get("commit") or "an unrecorded commit",
                mach.get("date") or m0.get("date", "?")))
    if pre:
        L.append("Just before each run, with none of the benchmark's processes running, the CPUs were busy "
                 "with other work for %s of a 5 s sample (load averages %s)%s."
                 % (", ".join("%.0f %%" % p["busy_pct"] if p.get("busy_pct") is not None else "?" for p in pre),
                    "; ".join("`%s`" % p.get("loadavg", "?") for p in pre),
                    ": these figures understate every server, unevenly" if any(busy) else ""))
    L.append("")
    L.append("**Noise.** The load generator and the servers share the %s cores, so multi-threaded servers compete "
             "with `loadgen` for CPU and figures swing by up to ±30 %% between runs; single-connection latency "
             "depends on whether client and server land on the same core. `loadgen` uses about one core in the "
             "busy cells (its CPU column below), so the fastest servers' figures are partly the generator's."
             % nproc)
    L.append("")
    L.append("## Results")
    L.append("")
    L += results_table(runs, keys, idle_cell, idle_n)
    L.append("")
    L.append("⚠ marks cells with errors, a dead server or no result in some run (rates count only valid replies); "
             "*vs epoll* is the median of the per-run ratios to epoll's pingpong c=50.")
    L.append("")
    L.append("Server / loadgen CPU seconds per wall second in each cell, and the server's CPU time per completed "
             "request at pingpong c=50 (medians):")
    L.append("")
    L += cpu_table(runs, keys)
    L.append("")
    L.append("The server's CPU time is read from `/proc` around the whole `loadgen` call (connection opening, "
             "warm-up and the measured window) while *completed* counts the window only, so the µs/request "
             "figures overstate the absolute cost by about (warm-up + window) ÷ window for every server alike; "
             "the ratio in the targets below compares like with like.")
    L.append("")
    stab = syscall_table(runs, keys)
    L.append("## System calls per request")
    L.append("")
    if stab:
        L.append("Counted on the server with `perf stat -e 'syscalls:sys_enter_*' -p PID` during an extra %s s "
                 "pingpong run at c=50 and at c=1000 after the throughput cells (so perf's own overhead touches "
                 "no figure above), divided by every reply of that run (opening, warm-up, window and drain). "
                 "Medians over runs; *other* is every remaining call (accept4, close, setsockopt, mmap, ...):"
                 % "/".join(sorted({str(r.meta.get("sys_s", "?")) for r in runs})))
        L.append("")
        L += stab
    else:
        L.append("Not available: `perf` was missing or the kernel refused its syscall tracepoints when these "
                 "runs were made (`bench/report.sh` installs `linux-perf`; a container may still forbid it).")
        L.append("")
    L.append("## Targets")
    L.append("")
    L.append("Each ratio is cpp's figure ÷ the other server's, taken within one run, between servers measured a "
             "minute or two apart on the same machine; *measured* is the median of those per-run ratios (with "
             "the medians of the two figures behind it), *per run* lists them in run order. The Go row compares "
             "cpp with go in every cell where more (or less) is better and lists the cells where the median ratio "
             "has cpp behind; its *per run* counts the cells cpp leads in each run. A cell with errors or a dead "
             "server in any run is flagged even when the ratio passes.")
    L.append("")
    L.append("| target | measured (median) | per run | goal | result |")
    L.append("|---|---|---|---|---|")
    trows = targets(runs, idle_cell, idle_n)
    for row in trows:
        L.append("| " + " | ".join(row) + " |")
    met = sum(1 for r in trows if r[4].startswith("**met**"))
    L.append("")
    L.append("%d of %d targets met." % (met, len(trows)))
    L.append("")
    diagnoses = [(server, title, intro, diagnosis_rows(runs, server)) for server, title, intro in DIAGNOSES]
    diagnoses = [d for d in diagnoses if d[3]]
    for note in not_met_notes(trows, idle_n, {d[0] for d in diagnoses}):
        L.append(note)
        L.append("")
    for server, title, intro, drows in diagnoses:
        L.append("### " + title)
        L.append("")
        L.append(intro)
        L.append("")
        L.append("| diagnosis, not a target | measured (median) | per run | goal | would it meet it |")
        L.append("|---|---|---|---|---|")
        for row in drows:
            L.append("| " + " | ".join(row) + " |")
        L.append("")
    if args.guard and os.path.exists(args.guard):
        with open(args.guard) as f:
            guard_lines = [line.rstrip("\n") for line in f if line.startswith("guard: ")]
        L.append("## Cost guard")
        L.append("")
        L.append("What `bench/guard.sh` counted on the same build right after the runs: instructions and heap "
                 "allocations per request under callgrind and system calls per request under `perf`, with "
                 "`--threads 1 --log-level off` and a fixed number of requests, against `bench/baseline.json` "
                 "(the counts `scripts/test.sh` holds every change to). Counts, not times: they do not move "
                 "with the machine's load.")
        L.append("")
        L.append("```")
        L.extend(guard_lines)
        L.append("```")
        L.append("")
    L.append("## Chart")
    L.append("")
    L.append("![requests/s by server: pingpong c=50, pingpong c=1000 and churn c=50 in thousands per second; "
             "pipeline c=50 p=64 in millions of replies per second; bars are medians, whiskers the range over runs]"
             "(%s)" % args.png)
    L.append("")
    L.append("Bars are medians; the whiskers span the lowest and highest run.")
    L.append("")
    L.append("## Reproduce")
    L.append("")
    L.append("```sh")
    L.append("bench/report.sh                    # release builds, 3 full runs (~7 min each on 2 cores), this page and the chart")
    L.append("bench/report.sh --quick --runs 1   # a draft in about 3 minutes (1 s cells)")
    L.append("bench/report.sh --summarize-only   # re-derive this page from docs/bench-runs/ without measuring")
    L.append("```")
    L.append("")
    L.append("`bench/report.sh` installs what is missing (`scripts/setup.sh`, `golang-go`, `gnuplot-nox`, "
             "`linux-perf`), builds the `release` preset (and `release-io_uring` for the `%s` row, when it "
             "configures), then runs `bench/run.sh` once per run (which builds "
             "`bench/loadgen` and the peers into `build/bench/`), keeps each run's raw JSON in `docs/bench-runs/` "
             "(%s) together with `machine.json`, and calls `bench/summarize.py` and `bench/chart.gp`. Everything "
             "it needs is in the repository. For figures worth comparing, run it on an otherwise idle machine."
             % (IO_URING, ", ".join("`%s`" % os.path.basename(r.path) for r in runs)))
    text = "\n".join(L) + "\n"

    if args.md:
        with open(args.md, "w") as f:
            f.write(text)
    sys.stdout.write(text)
    if args.chart_data:
        servers = chart_data(runs, [k for k in keys if k[0] not in DIAGNOSTIC_SERVERS], args.chart_data)
        if args.chart_meta:
            sub = "%s, %d run%s" % ((mach.get("date") or str(m0.get("date", "")))[:10], n, "" if n == 1 else "s")
            if quick:
                sub += ", 1 s cells"
            if any(busy):
                sub += "; DRAFT: the machine was busy with other work"
            elif quick or n < 3:
                sub += "; DRAFT"
            with open(args.chart_meta, "w") as f:
                f.write(servers + "\n" + sub.replace("'", "") + "\n")
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    pc = sub.add_parser("collect", help="one pass of bench/run.sh -> RUN.json")
    pc.add_argument("cells")
    pc.add_argument("--meta", required=True)
    pc.add_argument("--out", required=True)
    pm = sub.add_parser("machine", help="record the machine as JSON")
    pm.add_argument("out")
    pm.add_argument("--commit")
    pm.add_argument("--pre-run", action="append")
    pr = sub.add_parser("report", help="median table, targets and chart data")
    pr.add_argument("runs", nargs="+")
    pr.add_argument("--machine")
    pr.add_argument("--md")
    pr.add_argument("--chart-data")
    pr.add_argument("--chart-meta", help="file to receive two lines for chart.gp: the servers (space "
                    "separated) and a subtitle")
    pr.add_argument("--png", default="benchmarks.png")
    pr.add_argument("--guard", help="bench/guard.py's output from the same session, shown beside the figures")
    args = ap.parse_args()
    return {"collect": collect, "machine": machine, "report": report}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
