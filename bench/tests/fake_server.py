#!/usr/bin/env python3
"""fake_server.py PORT KIND - a TIME server that is wrong on purpose, to test loadgen's checks.

KIND (every fault hits every 40th TIME request of a connection, from the 40th on):
  good     correct replies (the control)
  split    correct replies written one byte per send() (loadgen must reassemble them)
  range    "JAM 24:00:00\\r\\n" (hour out of range)
  garble   "JAM 12:3x:56\\r\\n"
  error    "ERROR: Perintah tidak dikenal.\\r\\n" instead of the time
  lf       "JAM 12:34:56\\n" (no CR)
  extra    two replies to one request
  close    closes the connection instead of replying
  mute     never replies (to anything after the 1st request, so connections still open)
One thread per connection, 127.0.0.1 only, QUIT honoured; stopped with SIGTERM.
"""
import signal
import socket
import sys
import threading
import time

GOOD = b"JAM 12:34:56\r\n"
BAD = {"range": b"JAM 24:00:00\r\n", "garble": b"JAM 12:3x:56\r\n",
       "error": b"ERROR: Perintah tidak dikenal.\r\n", "lf": b"JAM 12:34:56\n", "extra": GOOD + GOOD}


def serve(conn, kind):
    count = 0
    pending = b""
    try:
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        while True:
            data = conn.recv(65536)
            if not data:
                return
            pending += data
            out = b""
            while b"\n" in pending:
                line, pending = pending.split(b"\n", 1)
                word = line.strip(b" \t\r").upper()
                if word == b"QUIT":
                    conn.sendall(out)
                    return
                if word != b"TIME":
                    continue
                count += 1
                faulty = count % 40 == 0
                if kind == "mute" and count > 1:
                    continue
                if kind == "close" and faulty:
                    conn.sendall(out)
                    return
                out += BAD[kind] if faulty and kind in BAD else GOOD
            if kind == "split":
                for i in range(len(out)):
                    conn.sendall(out[i:i + 1])
                    if i % 5 == 0:
                        time.sleep(0.0002)
            elif out:
                conn.sendall(out)
    except OSError:
        pass
    finally:
        conn.close()


def main():
    if len(sys.argv) != 3 or sys.argv[2] not in ("good", "split", "mute", "close") + tuple(BAD):
        print(__doc__, file=sys.stderr)
        return 2
    port, kind = int(sys.argv[1]), sys.argv[2]
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", port))
    srv.listen(512)
    while True:
        conn, _ = srv.accept()
        threading.Thread(target=serve, args=(conn, kind), daemon=True).start()


if __name__ == "__main__":
    sys.exit(main())
