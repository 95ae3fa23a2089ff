#!/usr/bin/env python3
"""scaling.py - the Markdown tables of bench/scaling.sh, from the raw results it keeps.

    bench/scaling.py build/bench/scaling/scaling-<date>.jsonl

The file has one JSON object per line, told apart by "kind":
  meta     the machine, the server command, the cell lengths
  active   pingpong at one client count: rc, server_cpu_s, result (loadgen's JSON line)
  idle     one idle row: rss_before_kib, rss_hold_kib, ready, held_together, results (one
           loadgen JSON line per loadgen process)
  threads  pingpong at one client count and --threads: as active, plus perf (raw counts of
           futex calls, all system calls and context switches over a second loadgen run,
           with that run's result), or null
  note     a line to print under a table ("table": active, idle or threads)
Per-request figures divide by loadgen's replies_all: every reply of the run, which is what
the server's CPU time and perf's counts cover.  Prints the tables on stdout.
"""
import json
import sys


def fmt_int(v):
    return f"{v:,.0f}"


def fmt_us(v):
    return f"{v:.1f}" if v < 100 else f"{v:,.0f}"


def fmt_ratio(v):
    return f"{v:.2f}" if v < 100 else f"{v:,.0f}"


def per_reply(value, result):
    replies = (result or {}).get("replies_all") or 0
    return value / replies if replies else None


def problems(rec, result):
    """What went wrong in a run, for the notes column; empty when nothing did."""
    out = []
    if result is None:
        out.append(f"no result (rc {rec.get('rc')})")
    else:
        if result.get("errors"):
            out.append(f"{result['errors']} errors (proto {result['err_proto']}, eof {result['err_eof']}, "
                       f"io {result['err_io']}, connect {result['err_connect']}, stalled {result['stalled']})")
        if result.get("opened", result.get("conns")) < result.get("conns", 0):
            out.append(f"{result['opened']} of {result['conns']} opened")
        if rec.get("rc") and not result.get("errors"):
            out.append(f"rc {rec['rc']}")
    if rec.get("alive") == 0:
        out.append("the server died")
    return "; ".join(out)


def table(header, rows, text_columns=("notes",)):
    """A Markdown table: numbers right-aligned, the text_columns left-aligned."""
    align = [":---" if h in text_columns else "---:" for h in header]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(align) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def notes(recs, name):
    return [f"\n{r['text']}" for r in recs if r.get("kind") == "note" and r.get("table") == name]


def active(recs, meta):
    rows = []
    for r in (x for x in recs if x["kind"] == "active"):
        res = r.get("result")
        cpu = per_reply(r["server_cpu_s"] * 1e6, res)
        rows.append([fmt_int(r["conns"]), fmt_int(res["rps"]) if res else "", fmt_us(res["p99_us"]) if res else "",
                     fmt_ratio(cpu) if cpu is not None else "", problems(r, res)])
    out = [f"### Active clients (pingpong, --threads {meta['cpus']})\n",
           table(["clients", "requests/s", "p99 (µs)", "server CPU µs/request", "notes"], rows)]
    return "\n".join(out + notes(recs, "active"))


def idle(recs, meta):
    rows = []
    for r in (x for x in recs if x["kind"] == "idle"):
        res = [x for x in r.get("results", []) if x]
        answered = sum(x.get("answered", 0) for x in res)
        opened = sum(x.get("opened", 0) for x in res)
        errors = sum(x.get("errors", 0) for x in res)
        n = r["conns"]
        growth = r["rss_hold_kib"] - r["rss_before_kib"]
        ok = len(res) == r["procs"] and answered == n and errors == 0 and r["rc"] == 0
        if ok:
            verdict = "yes"
        else:
            verdict = f"no: {fmt_int(opened)} opened, {fmt_int(answered)} answered, {fmt_int(errors)} errors"
        remarks = []
        if not r["ready"]:
            remarks.append("not every connection opened: RSS read anyway")
        if not r["held_together"]:
            remarks.append("a loadgen process had stopped holding when RSS was read")
        if r.get("alive") == 0:
            remarks.append("the server died")
        rows.append([fmt_int(n), f"{r['procs']} ({r['hosts']})", f"{r['rss_before_kib'] / 1024:.1f}",
                     f"{r['rss_hold_kib'] / 1024:.1f}", f"{growth / n:.2f}" if n else "",
                     f"{growth * 1024 / n:,.0f}" if n else "", verdict, "; ".join(remarks)])
    out = [f"### Idle clients (memory, --threads {meta['cpus']})\n",
           table(["idle clients", "loadgen processes", "RSS before (MiB)", "RSS holding (MiB)",
                  "growth KiB/connection", "bytes/connection", "all answered", "notes"], rows,
                 ("loadgen processes", "all answered", "notes"))]
    return "\n".join(out + notes(recs, "idle"))


def threads(recs, meta):
    rows = []
    for r in (x for x in recs if x["kind"] == "threads"):
        res = r.get("result")
        cpu = per_reply(r["server_cpu_s"] * 1e6, res)
        p = r.get("perf")
        counts = ["", "", ""]
        if p:
            counts = [fmt_ratio(v) if v is not None else ""
                      for v in (per_reply(p[k], p.get("result")) for k in ("futex", "syscalls", "context_switches"))]
        remark = problems(r, res)
        if p and p.get("rc"):
            remark = "; ".join(x for x in (remark, f"perf run: rc {p['rc']}") if x)
        rows.append([r["threads"], fmt_int(r["conns"]), fmt_int(res["rps"]) if res else "",
                     fmt_ratio(cpu) if cpu is not None else "", *counts, remark])
    out = ["### Threads (pingpong)\n",
           table(["--threads", "clients", "requests/s", "server CPU µs/request", "futex/request",
                  "syscalls/request", "context switches/request", "notes"], rows)]
    return "\n".join(out + notes(recs, "threads"))


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: bench/scaling.py RESULTS.jsonl")
    with open(sys.argv[1], encoding="utf-8") as f:
        recs = [json.loads(line) for line in f if line.strip()]
    meta = next((r for r in recs if r["kind"] == "meta"), None)
    if meta is None:
        sys.exit(f"scaling.py: no meta record in {sys.argv[1]}")
    cells = (f"{meta['cell_s']} s measured after {meta['warmup_s']} s warm-up; idle rows held "
             f"{meta['idle_hold_s']} s; perf counts over separate {meta['perf_s']} s runs")
    print(f"Machine: {meta['cpus']} CPUs ({meta['cpu_model']}), Linux {meta['kernel']}, {meta['date']}; "
          f"ulimit -Hn {meta['fd_hard']}.  ")
    print(f"Server: `{meta['server']}`; load: `{meta['loadgen']}` on the same machine; {cells}"
          + (" (--quick: a test run, not figures to publish)." if meta["quick"] else "."))
    print()
    print(active(recs, meta))
    print()
    print(idle(recs, meta))
    print()
    print(threads(recs, meta))


if __name__ == "__main__":
    main()
