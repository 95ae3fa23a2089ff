#!/usr/bin/env python3
"""guard.py - the cost of a request, counted, against bench/baseline.json (bench/guard.sh).

Counts, not times: the machine is shared and noisy, and a count does not move with it.

  instructions per request   callgrind, --threads 1 --log-level off, a fixed number of
                             requests; the same server started and stopped with no client is
                             subtracted, so start-up and shutdown do not count
  allocations per request    calls to malloc, calloc, realloc and the aligned allocators in
                             the same callgrind runs (operator new calls malloc), same subtraction
  system calls per request   perf stat -e 'syscalls:sys_enter_*' on the server (not under
                             valgrind), where perf may read the tracepoints

The server and loadgen share one CPU (the guard pins itself, and so its children, to the first
CPU it may use): the client then runs when the server waits, so whether Asio's speculative read
finds the next request already there does not depend on a race between two cores (on two
cores, pingpong c=50 showed two modes 5 % apart). Each figure is the median of RUNS runs.

Requests are loadgen's replies_all: every reply of the run, the one each connection's
opening probe gets included, so the count is fixed by the command line (loadgen -R).

  guard.py --server BIN --loadgen BIN [--update]

Exit status: 0 when every figure is within its tolerance of the baseline (or, with --update,
after writing the baseline), 1 when one is not, 2 when something could not be measured.
"""
import argparse
import json
import os
import platform
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

RUNS = 3
HERE = os.path.dirname(os.path.abspath(__file__))
BASELINE = os.path.join(HERE, "baseline.json")

# What a run sends: (name, loadgen arguments). -R fixes the number of requests (batches);
# -d is only the deadline. -w 0: the probe at opening is the only request outside the rounds.
PINGPONG = ["pingpong", "-c", "50", "-R", "200", "-w", "0", "-d", "300"]
PIPELINE = ["pipeline", "-c", "10", "-p", "64", "-R", "50", "-w", "0", "-d", "300"]
# System calls: one client is the structural count (no batching luck); 50 is the benchmark's.
SYSCALL_RUNS = {
    "pingpong c=1": ["pingpong", "-c", "1", "-R", "5000", "-w", "0", "-d", "120"],
    "pingpong c=50": ["pingpong", "-c", "50", "-R", "400", "-w", "0", "-d", "120"],
}

# Tolerances live here, not in the baseline, so that a new baseline cannot loosen them.
# Instructions and allocations: 5 % (issue 16). An allocation count near zero gets an
# absolute floor of 0.005 per request as well: with the recycling allocator a request
# allocates nothing, and what the run allocates is connection set-up (fixed by -c and -R),
# so 5 % of 0.003 would be a fraction of one allocation. One extra allocation per request
# is +1.0, two hundred times that floor.
# System calls: what the batching of epoll_wait may move between runs on a loaded machine
# (pinned to one CPU: 2.37 to 2.41 at c=50 in five runs, 3.027 to 3.038 at c=1), never more.
TOLERANCE = {
    "instructions": {"relative": 0.05, "absolute": 0.0},
    "allocations": {"relative": 0.05, "absolute": 0.005},
    "syscalls pingpong c=1": {"relative": 0.0, "absolute": 0.02},
    "syscalls pingpong c=50": {"relative": 0.0, "absolute": 0.10},
}
ALLOCATORS = {"malloc", "calloc", "realloc", "memalign", "posix_memalign", "aligned_alloc"}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listening(port):
    """Whether something listens on 127.0.0.1:port, read from /proc (no connection made,
    so waiting for the server costs it nothing)."""
    want = f":{port:04X}"
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                next(f)
                for line in f:
                    fields = line.split()
                    if fields[1].endswith(want) and fields[3] == "0A":
                        return True
        except OSError:
            pass
    return False


def start(command, port, deadline_s=60):
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + deadline_s
    while not listening(port):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"the server did not listen on {port}: {process.stderr.read().strip()}")
        time.sleep(0.05)
    return process


def stop(process, deadline_s=60):
    process.send_signal(signal.SIGINT)
    try:
        _, errors = process.communicate(timeout=deadline_s)
    except subprocess.TimeoutExpired:
        process.kill()
        raise RuntimeError("the server did not stop within a minute of SIGINT")
    if process.returncode != 0:
        raise RuntimeError(f"the server exited {process.returncode}: {errors.strip()}")


def load(loadgen, port, arguments):
    """Runs loadgen; returns its replies_all, the requests the server answered."""
    done = subprocess.run([loadgen, *arguments, "-H", "127.0.0.1", "-P", str(port)], capture_output=True,
                          text=True, timeout=600)
    report = json.loads(done.stdout.strip().splitlines()[-1]) if done.stdout.strip() else {}
    if done.returncode != 0 or not report:
        raise RuntimeError(f"loadgen {' '.join(arguments)} failed: {done.stdout.strip()} {done.stderr.strip()}")
    return report["replies_all"]


def callgrind_totals(path):
    """(instructions, allocation calls) of a callgrind output file."""
    names = {}
    instructions = allocations = 0
    callee = None
    with open(path) as f:
        for line in f:
            if line.startswith(("summary:", "totals:")):
                instructions = int(line.split()[1])
                continue
            match = re.match(r"c?fn=\((\d+)\)(?: (.*))?", line)
            if match:
                ident, name = match.groups()
                if name:
                    names[ident] = name.strip()
                callee = names.get(ident) if line.startswith("cfn=") else None
                continue
            if line.startswith("calls=") and callee in ALLOCATORS:
                allocations += int(line[6:].split()[0])
    return instructions, allocations


def under_callgrind(server, loadgen, arguments):
    """(instructions, allocations) of one server run under callgrind with `arguments`' load
    (None: started and stopped, nothing else)."""
    port = free_port()
    with tempfile.TemporaryDirectory() as scratch:
        out = os.path.join(scratch, "callgrind.out")
        process = start(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", server,
                         "--port", str(port), "--threads", "1", "--log-level", "off"], port)
        try:
            requests = load(loadgen, port, arguments) if arguments else 0
        finally:
            stop(process)
        instructions, allocations = callgrind_totals(out)
    return instructions, allocations, requests


def syscalls_per_request(server, loadgen, arguments):
    port = free_port()
    process = start([server, "--port", str(port), "--threads", "1", "--log-level", "off"], port)
    with tempfile.NamedTemporaryFile(mode="r", suffix=".perf") as counts:
        perf = subprocess.Popen(["perf", "stat", "-x", ",", "-o", counts.name, "-e", "syscalls:sys_enter_*",
                                 "-p", str(process.pid)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.5)  # perf attaches to the tracepoints before the first request
        try:
            requests = load(loadgen, port, arguments)
        finally:
            perf.send_signal(signal.SIGINT)
            perf.wait(timeout=60)
            stop(process)
        total = 0
        for line in counts.read().splitlines():
            fields = line.split(",")
            if len(fields) > 2 and fields[0].isdigit() and fields[2].startswith("syscalls:sys_enter_"):
                total += int(fields[0])
    return total / requests


def perf_reads_tracepoints():
    try:
        done = subprocess.run(["perf", "stat", "-e", "syscalls:sys_enter_getpid", "true"], capture_output=True,
                              timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def system_name():
    fields = {}
    try:
        with open("/etc/os-release") as f:
            for line in f:
                key, _, value = line.strip().partition("=")
                fields[key] = value.strip('"')
    except OSError:
        pass
    return f"{fields.get('ID', 'unknown')}-{fields.get('VERSION_ID', 'unknown')}-{platform.machine()}"


def measure(server, loadgen):
    figures = {}
    idle_instructions, idle_allocations, _ = under_callgrind(server, loadgen, None)
    for cell, arguments in (("pingpong c=50", PINGPONG), ("pipeline c=10 p=64", PIPELINE)):
        runs = [under_callgrind(server, loadgen, arguments) for _ in range(RUNS)]
        figures[f"instructions per request, {cell}"] = statistics.median(
            (instructions - idle_instructions) / requests for instructions, _, requests in runs)
        figures[f"allocations per request, {cell}"] = statistics.median(
            (allocations - idle_allocations) / requests for _, allocations, requests in runs)
    if perf_reads_tracepoints():
        for cell, arguments in SYSCALL_RUNS.items():
            figures[f"system calls per request, {cell}"] = statistics.median(
                syscalls_per_request(server, loadgen, arguments) for _ in range(RUNS))
    else:
        print("guard: perf cannot read the syscall tracepoints here (not root, or no linux-perf): "
              "system calls not counted", file=sys.stderr)
    return figures


def tolerance_of(name):
    if name.startswith("instructions"):
        return TOLERANCE["instructions"]
    if name.startswith("allocations"):
        return TOLERANCE["allocations"]
    return TOLERANCE["syscalls " + name.split(", ", 1)[1]]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--server", required=True)
    parser.add_argument("--loadgen", required=True)
    parser.add_argument("--update", action="store_true", help="write the figures as the new baseline")
    args = parser.parse_args()

    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    system = system_name()
    try:
        figures = measure(args.server, args.loadgen)
    except (RuntimeError, OSError, subprocess.TimeoutExpired, json.JSONDecodeError) as failure:
        print(f"guard: could not measure: {failure}", file=sys.stderr)
        return 2

    baselines = {}
    if os.path.exists(BASELINE):
        with open(BASELINE) as f:
            baselines = json.load(f)
    if args.update:
        baselines[system] = {name: round(value, 4) for name, value in figures.items()}
        with open(BASELINE, "w") as f:
            json.dump(baselines, f, indent=2, sort_keys=True)
            f.write("\n")
        for name, value in figures.items():
            print(f"guard: {name}: {value:.4f} (new baseline for {system})")
        print(f"guard: baseline for {system} written to bench/baseline.json; commit it with the reason")
        return 0

    baseline = baselines.get(system)
    if baseline is None:
        for name, value in figures.items():
            print(f"guard: {name}: {value:.4f}")
        print(f"guard: no baseline for {system} in bench/baseline.json (the figures depend on the compiler "
              f"and Boost): nothing compared; bench/guard.sh --update makes one")
        return 0

    within = 0
    for name, value in figures.items():
        if name not in baseline:
            print(f"guard: {name}: {value:.4f}, not in the baseline: FAIL (update the baseline)")
            continue
        limit_of = tolerance_of(name)
        limit = baseline[name] * (1 + limit_of["relative"]) + limit_of["absolute"]
        ok = value <= limit
        within += ok
        change = f"{(value / baseline[name] - 1) * 100:+.1f} %" if baseline[name] else f"{value - baseline[name]:+.4f}"
        print(f"guard: {name}: {value:.4f} against {baseline[name]:.4f} ({change}, limit {limit:.4f})"
              f"{'' if ok else ': FAIL'}")
    missing = [name for name in baseline if name not in figures]
    for name in missing:
        print(f"guard: {name}: in the baseline but not measured here")
    print(f"guard: {within}/{len(figures)} within baseline")
    return 0 if within == len(figures) else 1


if __name__ == "__main__":
    sys.exit(main())
