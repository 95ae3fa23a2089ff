#!/usr/bin/env python3
"""time_server.py - the classroom time server, re-created as the benchmark's baseline.

The original (a Python exercise: socket + threading + logging) starts one thread per
connection and logs every event in Indonesian with the format "%(asctime)s - %(message)s".
This re-creation keeps that design and those log lines, and speaks the whole wire contract
(docs/protocol.md) so that the benchmark compares like with like: lines end with LF (a CR
before it is dropped), spaces and tabs around a request are trimmed, commands are
case-insensitive, HELP is answered, an empty line gets nothing, a line longer than 1024
bytes gets "ERROR: Perintah terlalu panjang." and the connection is closed, pipelined
requests are answered in order, and an unterminated last line before EOF still counts.

    time_server.py [--port 45000] [--bind 127.0.0.1] [--quiet]

--quiet raises the log level to WARNING, so no per-connection or per-request line is
written (the benchmark's quiet rows).  Not implemented: idle timeout, connection limit,
--utc, IPv6.  Standard library only.
"""
import argparse
import datetime
import logging
import signal
import socket
import sys
import threading
import time

MAX_LINE = 1024
REPLY_HELP = b"BANTUAN: TIME, QUIT, HELP\r\n"
REPLY_UNKNOWN = b"ERROR: Perintah tidak dikenal.\r\n"
REPLY_TOO_LONG = b"ERROR: Perintah terlalu panjang.\r\n"


def printable(raw):
    """the request as the log shows it: printable ASCII, backslash doubled, other bytes as \\xNN,
    at most 64 bytes"""
    out = []
    for ch in raw[:64]:
        if ch == 0x5C:
            out.append("\\\\")
        elif 0x20 <= ch < 0x7F:
            out.append(chr(ch))
        else:
            out.append("\\x%02x" % ch)
    return "".join(out) + ("..." if len(raw) > 64 else "")


def handle_request(conn, addr, line):
    """answers one request line (without its LF); returns False when the client asked to quit"""
    if line.endswith(b"\r"):
        line = line[:-1]
    command = line.strip(b" \t")
    if not command:
        return True
    logging.info("Menerima request '%s' dari %s", printable(line), addr)
    word = command.upper()
    if word == b"TIME":
        now = datetime.datetime.now().strftime("%H:%M:%S")
        conn.sendall(b"JAM " + now.encode() + b"\r\n")
        logging.info("Mengirim waktu '%s' ke %s", now, addr)
    elif word == b"QUIT":
        logging.info("Klien %s meminta untuk keluar.", addr)
        return False
    elif word == b"HELP":
        conn.sendall(REPLY_HELP)
    else:
        logging.info("Perintah tidak dikenal '%s' dari %s", printable(line), addr)
        conn.sendall(REPLY_UNKNOWN)
    return True


def serve_client(conn, addr):
    """the thread of one connection"""
    logging.info("Menerima koneksi baru dari %s", addr)
    pending = b""
    try:
        while True:
            lf = pending.find(b"\n")
            if lf < 0:
                if len(pending) > MAX_LINE:
                    conn.sendall(REPLY_TOO_LONG)
                    logging.warning("Perintah dari %s terlalu panjang, koneksi ditutup.", addr)
                    break
                data = conn.recv(4096)
                if not data:
                    if pending:  # an unterminated last line is still a request
                        handle_request(conn, addr, pending)
                    else:
                        logging.info("Koneksi dengan %s ditutup oleh klien.", addr)
                    break
                pending += data
                continue
            if lf > MAX_LINE:
                conn.sendall(REPLY_TOO_LONG)
                logging.warning("Perintah dari %s terlalu panjang, koneksi ditutup.", addr)
                break
            line, pending = pending[:lf], pending[lf + 1:]
            if not handle_request(conn, addr, line):
                break
    except OSError as exc:
        logging.warning("Terjadi error pada koneksi dengan %s: %s", addr, exc)
    finally:
        conn.close()
        logging.info("Koneksi dengan %s telah ditutup.", addr)


def main():
    ap = argparse.ArgumentParser(description="thread-per-connection TIME server (the classroom original)")
    ap.add_argument("--port", type=int, default=45000)
    ap.add_argument("--bind", default="127.0.0.1")
    ap.add_argument("--quiet", action="store_true", help="log only warnings (no per-request lines)")
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING if args.quiet else logging.INFO,
                        format="%(asctime)s - %(message)s", stream=sys.stdout)

    def on_term(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind((args.bind, args.port))
    server.listen(1024)
    logging.info("Time server berjalan dan mendengarkan di port %d...", args.port)
    try:
        while True:
            try:
                conn, addr = server.accept()
            except OSError as exc:  # out of descriptors: wait a little instead of spinning
                logging.warning("Gagal menerima koneksi: %s", exc)
                time.sleep(0.05)
                continue
            threading.Thread(target=serve_client, args=(conn, addr), daemon=True).start()
    except KeyboardInterrupt:
        logging.info("Server dihentikan.")
    finally:
        server.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
