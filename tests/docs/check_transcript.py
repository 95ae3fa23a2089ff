#!/usr/bin/env python3
"""check_transcript.py - fails when the README's example session is not what the server does.

The README's "Using it" section shows sessions with the real server as ```console
blocks. Each `$ ` line is a command, and the lines after it, up to the next `$ `
line, are what the terminal shows:

    $ telnet localhost 45000        telnet run in a pseudo-terminal, as a person would:
                                    the lines telnet prints itself (Trying ...,
                                    Connected to ..., Escape character ...,
                                    Connection closed by foreign host.) and the
                                    server's replies are expected; every other line
                                    is typed, and expected back as the terminal's echo
    $ printf '...' | nc ... localhost 45000
                                    printf's output piped into the real nc
                                    (netcat-openbsd); its output is expected

A reply line is one in a shape docs/protocol.md's replies have: `JAM ...`, or an
upper-case word and a colon (`BANTUAN: ...`, `ERROR: ...`). This script starts
the server itself (`--port 0 --bind 127.0.0.1`: loopback only, a port the OS
picks, read from its first log line), runs each command with that port in place
of 45000, compares the output line by line, and stops the server with SIGINT
(exit 0 expected). `JAM hh:mm:ss` matches any valid time of day, never the
clock's value. Every wait is bounded (a few seconds).

usage: check_transcript.py --server TIME_SERVER [--section TITLE] DOC.md
Prints one line per difference and exits 1 if there is any.
"""
import argparse
import os
import pathlib
import re
import select
import shlex
import shutil
import signal
import subprocess
import sys
import time

README_PORT = "45000"
TIMEOUT = 5.0  # seconds, for any one thing to happen
READY = re.compile(r"Time server berjalan dan mendengarkan di port (\d+)\.\.\.")
TIME_OF_DAY = re.compile(r"JAM \d\d:\d\d:\d\d")
VALID_TIME_OF_DAY = r"JAM (?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d"
REPLY = re.compile(r"^(?:JAM \S|[A-Z]+: )")
TELNET_OWN = re.compile(
    r"^(?:Trying \S+\.\.\.|Connected to \S+\.|Escape character is '.*'\.|Connection closed by foreign host\.)$")
# Where localhost also names ::1, telnet may try it first and fail: those lines
# come from the name lookup, not from the server, and are not in the README.
# Debian 12's telnet names the address in its failure line ("telnet: connect to
# address ::1: Connection refused"); Debian 13's does not ("Connection failed:
# Connection refused"), so the line right after "Trying ::1..." goes too.
TELNET_IPV6_ATTEMPT = re.compile(r"^(?:Trying ::1\.\.\.|telnet: .*::1.*)$")
TELNET_FAILED_ATTEMPT = re.compile(r"^(?:telnet: connect to address .*|Connection failed: .*)$")


class Failure(Exception):
    pass


def section_lines(doc_path, title):
    """The (line_number, text) of the section `## title`, up to the next heading of that level."""
    lines = doc_path.read_text(encoding="utf-8").splitlines()
    start = next((i for i, line in enumerate(lines) if line.strip() == f"## {title}"), None)
    if start is None:
        raise Failure(f"{doc_path}: no section '## {title}'")
    section = []
    for i in range(start + 1, len(lines)):
        if lines[i].startswith("## "):
            break
        section.append((i + 1, lines[i]))
    return section


def console_commands(section):
    """[(line_number, command, [(line_number, expected output line)])] of the ```console blocks."""
    commands = []
    inside = False
    for number, text in section:
        if text.strip().startswith("```"):
            inside = not inside and text.strip() == "```console"
            continue
        if not inside:
            continue
        if text.startswith("$ "):
            commands.append((number, text[2:], []))
        elif commands:
            commands[-1][2].append((number, text))
        else:
            raise Failure(f"line {number}: output before any `$ ` command: {text}")
    return commands


def matches(expected, actual):
    """Whether an output line is the README's, `JAM hh:mm:ss` standing for any valid time."""
    # A time that is no time of day (JAM 25:00:00) in the README stays literal, and so fails.
    pattern = "".join(
        VALID_TIME_OF_DAY if re.fullmatch(VALID_TIME_OF_DAY, part) else re.escape(part)
        for part in re.split(f"({TIME_OF_DAY.pattern})", expected))
    return re.fullmatch(pattern, actual) is not None


def compare(where, expected, actual):
    """One problem per differing line: [str]."""
    problems = []
    for index in range(max(len(expected), len(actual))):
        number, want = expected[index] if index < len(expected) else (None, None)
        got = actual[index] if index < len(actual) else None
        if want is not None and got is not None and matches(want, got):
            continue
        at = f"line {number}" if number else f"after line {expected[-1][0] if expected else '?'}"
        problems.append(f"{where}, {at}: expected {want!r}, got {got!r}")
    return problems


def with_port(argv, port, number):
    if argv.count(README_PORT) != 1 or "localhost" not in argv:
        raise Failure(f"line {number}: expected `localhost {README_PORT}` in: {shlex.join(argv)}")
    return [port if arg == README_PORT else arg for arg in argv]


def run_nc(number, command, port):
    """`printf FORMAT [ARG...] | nc ... localhost 45000`: the lines nc prints."""
    words = shlex.split(command, comments=True)
    if "|" not in words:
        raise Failure(f"line {number}: not `printf ... | nc ...`: {command}")
    bar = words.index("|")
    producer, consumer = words[:bar], words[bar + 1:]
    if producer[:1] != ["printf"] or consumer[:1] != ["nc"]:
        raise Failure(f"line {number}: not `printf ... | nc ...`: {command}")
    request = subprocess.run(producer, capture_output=True, check=True, timeout=TIMEOUT).stdout
    try:
        done = subprocess.run(with_port(consumer, port, number), input=request, capture_output=True,
                              timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        raise Failure(f"line {number}: nc did not end within {TIMEOUT:g} s (the server kept the connection open?)")
    if done.returncode != 0:
        raise Failure(f"line {number}: nc exited {done.returncode}: {done.stderr.decode(errors='replace').strip()}")
    return terminal_lines(done.stdout)


def terminal_lines(data):
    """What a terminal shows, as lines: CRLF and a pty's CR CR LF both end a line."""
    text = data.decode("utf-8", errors="replace").replace("\r", "")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


class pty_session:
    """A program on a pseudo-terminal: type a line, read what the terminal shows."""

    def __init__(self, argv):
        master, slave = os.openpty()
        self.master = master
        self.output = b""
        self.ended = False
        self.process = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, close_fds=True,
                                        start_new_session=True, env=dict(os.environ, TERM="dumb"))
        os.close(slave)

    def lines(self):
        kept = []
        after_ipv6_attempt = False
        for line in terminal_lines(self.output):
            if TELNET_IPV6_ATTEMPT.match(line) or (after_ipv6_attempt and TELNET_FAILED_ATTEMPT.match(line)):
                after_ipv6_attempt = TELNET_IPV6_ATTEMPT.match(line) is not None
                continue
            after_ipv6_attempt = False
            kept.append(line)
        return kept

    def type(self, line):
        os.write(self.master, line.encode() + b"\n")

    def read_until(self, line_count, timeout=TIMEOUT):
        """Reads until the terminal shows `line_count` complete lines, the program ends, or the time is up."""
        deadline = time.monotonic() + timeout
        while len(self.lines()) < line_count and not self.ended:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            ready, _, _ = select.select([self.master], [], [], left)
            if not ready:
                continue
            try:
                data = os.read(self.master, 4096)
            except OSError:  # EIO: the program has ended and closed the terminal
                data = b""
            if not data:
                self.ended = True
            self.output += data

    def close(self):
        """The program's exit code; it is killed if it has not ended by now."""
        try:
            code = self.process.wait(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            code = None
        os.close(self.master)
        return code


def run_telnet(number, command, expected, port):
    """`telnet localhost 45000` in a pseudo-terminal: types the non-reply lines, returns what it showed."""
    argv = with_port(shlex.split(command, comments=True), port, number)
    if argv[0] != "telnet":
        raise Failure(f"line {number}: not a telnet command: {command}")
    session = pty_session(argv)
    try:
        shown = 0
        for _, text in expected:
            if TELNET_OWN.match(text) or REPLY.match(text):
                shown += 1
                continue
            session.read_until(shown)  # everything up to here, before typing
            session.type(text)
            shown += 1
        session.read_until(shown)
        session.read_until(shown + 1, timeout=0.3)  # anything more, briefly: unexpected lines fail too
    finally:
        code = session.close()
    if code is None:
        raise Failure(f"line {number}: telnet still running {TIMEOUT:g} s after the session; output: "
                      f"{session.lines()}")
    return session.lines()


def check(server, doc, title):
    tools = {name: shutil.which(name) for name in ("telnet", "nc")}
    missing = [name for name, path in tools.items() if path is None]
    if missing:
        raise Failure(f"{' and '.join(missing)} not found (scripts/setup.sh --test installs telnet and netcat-openbsd)")
    commands = console_commands(section_lines(doc, title))
    if not commands:
        raise Failure(f"{doc}: no `$ ` commands in ```console blocks of '## {title}': nothing was checked")

    process = subprocess.Popen([server, "--port", "0", "--bind", "127.0.0.1"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
    problems = []
    try:
        port = wait_for_port(process)
        for number, command, expected in commands:
            program = shlex.split(command, comments=True)[0]
            if program == "telnet":
                actual = run_telnet(number, command, expected, port)
            elif program == "printf":
                actual = run_nc(number, command, port)
            else:
                raise Failure(f"line {number}: no way to run `{command}` (telnet or printf ... | nc only)")
            problems += compare(f"{doc}:{number} `{command.split('#')[0].strip()}`", expected, actual)
    finally:
        code = stop(process)
    if code != 0:
        problems.append(f"the server exited {code} on SIGINT, not 0")
    return len(commands), problems


def wait_for_port(process):
    """The port from the server's first log line, `... mendengarkan di port N...`."""
    ready, _, _ = select.select([process.stdout], [], [], TIMEOUT)
    line = process.stdout.readline().decode(errors="replace") if ready else ""
    found = READY.search(line)
    if not found:
        raise Failure(f"the server did not say it was listening within {TIMEOUT:g} s; its first line: {line!r}")
    return found.group(1)


def stop(process):
    if process.poll() is not None:
        return process.returncode
    process.send_signal(signal.SIGINT)
    try:
        process.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        return f"nothing: still running {TIMEOUT:g} s after SIGINT (killed)"
    return process.returncode


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", required=True, type=pathlib.Path, help="the time_server binary")
    parser.add_argument("--section", default="Using it", help="the `## ` section holding the transcript")
    parser.add_argument("document", type=pathlib.Path, help="the Markdown file, the README")
    args = parser.parse_args()
    try:
        count, problems = check(str(args.server), args.document, args.section)
    except Failure as failure:
        print(f"{args.document}: {failure}")
        return 1
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} differences between {args.document}'s '{args.section}' and the server: "
              "update the document or the code")
        return 1
    print(f"{count} commands of {args.document}'s '{args.section}' run against the server: output as written")
    return 0


if __name__ == "__main__":
    sys.exit(main())
