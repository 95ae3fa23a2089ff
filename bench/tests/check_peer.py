#!/usr/bin/env python3
"""check_peer.py PORT [HOST] - check that a running TIME server speaks the whole wire contract.

Used on the benchmark's peer servers (bench/peers/) and usable on time_server itself: a
server that answers wrongly would make its benchmark figures meaningless.  Standard
library only; every socket has a timeout, so a mute or stuck server fails, it never hangs.
Exit status 0 when every check passes, 1 otherwise (each failure is printed).

Not checked here (the peers do not implement them): idle timeout, connection limit,
logging, PROXY protocol.
"""
import re
import socket
import sys
import time

TIME_RE = re.compile(rb"^JAM ([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)\r\n$")
HELP = b"BANTUAN: TIME, QUIT, HELP\r\n"
UNKNOWN = b"ERROR: Perintah tidak dikenal.\r\n"
TOO_LONG = b"ERROR: Perintah terlalu panjang.\r\n"
TIMEOUT = 3.0


class Client:
    def __init__(self, host, port):
        self.sock = socket.create_connection((host, port), timeout=TIMEOUT)
        self.buf = b""

    def send(self, data):
        self.sock.sendall(data)

    def line(self):
        """the next reply line with its CRLF, or b'' when the server closed first"""
        while b"\n" not in self.buf:
            chunk = self.sock.recv(4096)
            if not chunk:
                rest, self.buf = self.buf, b""
                return rest
            self.buf += chunk
        i = self.buf.index(b"\n") + 1
        out, self.buf = self.buf[:i], self.buf[i:]
        return out

    def closed(self):
        """True when the server closes without sending anything more"""
        if self.buf:
            return False
        try:
            return self.sock.recv(4096) == b""
        except ConnectionResetError:
            return True
        except socket.timeout:
            return False

    def silent(self, seconds=0.3):
        """True when nothing arrives for a while (and the connection stays open)"""
        self.sock.settimeout(seconds)
        try:
            data = self.sock.recv(4096)
        except socket.timeout:
            return not self.buf
        finally:
            self.sock.settimeout(TIMEOUT)
        self.buf += data
        return False

    def close(self):
        self.sock.close()


def main():
    if len(sys.argv) not in (2, 3):
        print(__doc__.split("\n")[0], file=sys.stderr)
        return 2
    port = int(sys.argv[1])
    host = sys.argv[2] if len(sys.argv) == 3 else "127.0.0.1"
    failures = []
    checks = 0

    def check(name, ok, detail=""):
        nonlocal checks
        checks += 1
        if not ok:
            failures.append(name + (": " + detail if detail else ""))
            print("FAIL", name, detail)

    def is_time(reply):
        return bool(TIME_RE.match(reply))

    def case(name, func):
        try:
            func()
        except OSError as exc:
            check(name, False, "%s: %s" % (exc.__class__.__name__, exc))

    def basic():
        c = Client(host, port)
        for req in (b"TIME\r\n", b"TIME\n", b"time\r\n", b"  Time\t \r\n", b"\tTIME\n"):
            c.send(req)
            r = c.line()
            check("TIME as %r" % req, is_time(r), repr(r))
        c.send(b"HELP\r\n")
        check("HELP", c.line() == HELP)
        c.send(b"help\n")
        check("help (lower case)", c.line() == HELP)
        c.send(b"\r\n")
        check("empty line gets no reply", c.silent())
        c.send(b"   \t \n")
        check("blank line gets no reply", c.silent())
        for req in (b"TIME now\r\n", b"TIMEX\n", b"\x00\xff\xfe\n", b"TIME\v\n", b"TIME\r\r\n"):
            c.send(req)
            r = c.line()
            check("unknown command %r" % req, r == UNKNOWN, repr(r))
        c.send(b"TIME\r\n")
        check("still open after unknown commands", is_time(c.line()))
        c.send(b"QUIT\r\n")
        check("QUIT closes without a reply", c.closed())
        c.close()

    def quit_variants():
        for req in (b"quit\n", b" QUIT \r\n", b"Quit"):
            c = Client(host, port)
            c.send(req)
            if req == b"Quit":  # unterminated, then EOF on our side
                c.sock.shutdown(socket.SHUT_WR)
            check("QUIT as %r closes" % req, c.closed())
            c.close()

    def pipelining():
        c = Client(host, port)
        c.send(b"TIME\r\nHELP\nnope\r\n\r\nTIME\nQUIT\r\nTIME\r\n")
        got = [c.line() for _ in range(4)]
        check("pipelined: 4 replies in order",
              is_time(got[0]) and got[1] == HELP and got[2] == UNKNOWN and is_time(got[3]), repr(got))
        check("pipelined: nothing after QUIT, then closed", c.closed())
        c.close()
        c = Client(host, port)
        n = 500
        c.send(b"TIME\r\n" * n)
        ok = all(is_time(c.line()) for _ in range(n))
        check("500 pipelined TIMEs, 500 replies", ok)
        c.close()

    def split_request():
        c = Client(host, port)
        for b in b"TI", b"M", b"E\r", b"\n":
            c.send(b)
            time.sleep(0.05)
        check("request split across packets", is_time(c.line()))
        c.close()

    def half_close():
        c = Client(host, port)
        c.send(b"TIME\r\nHELP\r\nTIME")
        c.sock.shutdown(socket.SHUT_WR)
        got = [c.line() for _ in range(3)]
        check("pending lines answered after our FIN, unterminated last line too",
              is_time(got[0]) and got[1] == HELP and is_time(got[2]), repr(got))
        check("server closes after our FIN", c.closed())
        c.close()
        c = Client(host, port)
        c.send(b"TIME\r")
        c.sock.shutdown(socket.SHUT_WR)
        r = c.line()
        check("unterminated 'TIME\\r' at EOF is TIME", is_time(r), repr(r))
        c.close()

    def limits():
        c = Client(host, port)
        c.send(b"A" * 1023 + b"\r\n")  # 1024 bytes before the LF: allowed
        r = c.line()
        check("1024-byte line is an unknown command, not too long", r == UNKNOWN, repr(r))
        c.send(b" " * 1020 + b"TIME\n")  # 1024 bytes: trimmed to TIME
        r = c.line()
        check("1024-byte padded TIME", is_time(r), repr(r))
        c.close()
        c = Client(host, port)
        c.send(b"B" * 1025)  # no LF at all: the limit is passed, reply at once
        r = c.line()
        check("1025 bytes without LF: too long at once", r == TOO_LONG, repr(r))
        check("then closed", c.closed())
        c.close()
        c = Client(host, port)
        c.send(b"TIME\r\n" + b"C" * 1024 + b"\r\n")  # 1025 with the CR
        got = [c.line(), c.line()]
        check("TIME, then a 1025-byte line (CR counted): too long",
              is_time(got[0]) and got[1] == TOO_LONG, repr(got))
        check("then closed", c.closed())
        c.close()

    def many_clients():
        cs = [Client(host, port) for _ in range(50)]
        for c in cs:
            c.send(b"TIME\n")
        check("50 concurrent clients answered", all(is_time(c.line()) for c in cs))
        for c in cs:
            c.close()

    def clock():
        c = Client(host, port)
        c.send(b"TIME\n")
        r = c.line()
        c.close()
        m = TIME_RE.match(r)
        if not m:
            check("clock", False, repr(r))
            return
        hh, mm, ss = (int(x) for x in r[4:12].split(b":"))
        now = time.localtime()
        delta = abs((hh * 3600 + mm * 60 + ss) - (now.tm_hour * 3600 + now.tm_min * 60 + now.tm_sec))
        check("TIME is the local wall clock (within 2 s)", min(delta, 86400 - delta) <= 2, repr(r))

    for name, func in [("basic", basic), ("quit", quit_variants), ("pipelining", pipelining),
                       ("split", split_request), ("half close", half_close), ("limits", limits),
                       ("many clients", many_clients), ("clock", clock)]:
        case(name, func)
    print("%s: %d checks, %d failed" % ("PASS" if not failures else "FAIL", checks, len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
