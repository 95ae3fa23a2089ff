// Command peer is the benchmark's goroutine-per-connection TIME server: what an idiomatic Go
// programmer would write with the standard library alone.  One goroutine per connection, a
// bufio.Reader to frame lines and a bufio.Writer that is flushed only when no complete
// request is left in the read buffer, so pipelined replies leave in one write.
//
//	peer [-port 45000] [-bind 127.0.0.1] [-quiet]
//
// It speaks the whole wire contract of docs/protocol.md (LF or CRLF, spaces and tabs trimmed,
// case-insensitive, HELP, empty lines ignored, unknown commands, a 1024-byte line limit
// answered with "ERROR: Perintah terlalu panjang." and a close, an unterminated last line
// before EOF) and logs the original's Indonesian lines with log.Printf unless -quiet is given.
// Not implemented: idle timeout, connection limit, --utc, IPv6.
package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"
)

const maxLine = 1024 // bytes before the LF, a CR included

var (
	replyHelp    = []byte("BANTUAN: TIME, QUIT, HELP\r\n")
	replyUnknown = []byte("ERROR: Perintah tidak dikenal.\r\n")
	replyTooLong = []byte("ERROR: Perintah terlalu panjang.\r\n")
	quiet        bool
)

func logf(format string, args ...interface{}) {
	if !quiet {
		log.Printf(format, args...)
	}
}

// peerName writes an address the way the Python original does: ('127.0.0.1', 54321).
func peerName(a net.Addr) string {
	if t, ok := a.(*net.TCPAddr); ok {
		return fmt.Sprintf("('%s', %d)", t.IP.String(), t.Port)
	}
	return a.String()
}

// printable escapes a request for the log: printable ASCII kept, a backslash doubled,
// any other byte as \xNN; at most 64 bytes.
func printable(b []byte) string {
	var sb bytes.Buffer
	for i, c := range b {
		if i == 64 {
			sb.WriteString("...")
			break
		}
		switch {
		case c == '\\':
			sb.WriteString(`\\`)
		case c >= 0x20 && c < 0x7f:
			sb.WriteByte(c)
		default:
			fmt.Fprintf(&sb, `\x%02x`, c)
		}
	}
	return sb.String()
}

// answer handles one request line (without its LF); it returns false for QUIT.
func answer(w *bufio.Writer, line []byte, peer string) bool {
	line = bytes.TrimSuffix(line, []byte{'\r'})
	cmd := bytes.Trim(line, " \t")
	if len(cmd) == 0 {
		return true
	}
	logf("Menerima request '%s' dari %s", printable(line), peer)
	switch {
	case bytes.EqualFold(cmd, []byte("TIME")):
		now := time.Now()
		hh, mm, ss := now.Clock()
		var reply [14]byte
		copy(reply[:], "JAM 00:00:00\r\n")
		put2(reply[4:], hh)
		put2(reply[7:], mm)
		put2(reply[10:], ss)
		w.Write(reply[:])
		logf("Mengirim waktu '%s' ke %s", reply[4:12], peer)
	case bytes.EqualFold(cmd, []byte("QUIT")):
		logf("Klien %s meminta untuk keluar.", peer)
		return false
	case bytes.EqualFold(cmd, []byte("HELP")):
		w.Write(replyHelp)
	default:
		logf("Perintah tidak dikenal '%s' dari %s", printable(line), peer)
		w.Write(replyUnknown)
	}
	return true
}

func put2(b []byte, v int) {
	b[0] = byte('0' + v/10)
	b[1] = byte('0' + v%10)
}

func serve(conn net.Conn) {
	peer := peerName(conn.RemoteAddr())
	defer func() {
		conn.Close()
		logf("Koneksi dengan %s telah ditutup.", peer)
	}()
	logf("Menerima koneksi baru dari %s", peer)
	// The reader holds one line of maxLine bytes plus its LF: a full buffer without a LF is a
	// line over the limit, noticed as soon as the limit is passed.
	r := bufio.NewReaderSize(conn, maxLine+1)
	w := bufio.NewWriterSize(conn, 4096)
	for {
		// flush before a read that may block: nothing complete is waiting in the buffer
		if w.Buffered() > 0 {
			buffered, _ := r.Peek(r.Buffered())
			if bytes.IndexByte(buffered, '\n') < 0 {
				if w.Flush() != nil {
					return
				}
			}
		}
		line, err := r.ReadSlice('\n')
		switch {
		case err == nil:
			if !answer(w, line[:len(line)-1], peer) {
				w.Flush()
				return
			}
		case errors.Is(err, bufio.ErrBufferFull):
			w.Write(replyTooLong)
			w.Flush()
			log.Printf("Perintah dari %s terlalu panjang, koneksi ditutup.", peer)
			return
		case errors.Is(err, io.EOF):
			if len(line) > 0 { // an unterminated last line is still a request
				answer(w, line, peer)
			} else {
				logf("Koneksi dengan %s ditutup oleh klien.", peer)
			}
			w.Flush()
			return
		default:
			log.Printf("Terjadi error pada koneksi dengan %s: %v", peer, err)
			return
		}
	}
}

func main() {
	port := flag.Int("port", 45000, "TCP port")
	bind := flag.String("bind", "127.0.0.1", "address to listen on")
	flag.BoolVar(&quiet, "quiet", false, "no per-connection or per-request log lines")
	flag.Parse()
	log.SetFlags(0)
	log.SetOutput(&stampWriter{out: os.Stdout})

	ln, err := net.Listen("tcp4", net.JoinHostPort(*bind, fmt.Sprint(*port)))
	if err != nil {
		fmt.Fprintln(os.Stderr, "peer:", err)
		os.Exit(1)
	}
	logf("Time server berjalan dan mendengarkan di port %d...", *port)
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		<-stop
		logf("Server dihentikan.")
		os.Exit(0)
	}()
	for {
		conn, err := ln.Accept()
		if err != nil { // e.g. out of descriptors: back off instead of spinning
			log.Printf("Gagal menerima koneksi: %v", err)
			time.Sleep(50 * time.Millisecond)
			continue
		}
		go serve(conn)
	}
}

// stampWriter prefixes each log line with Python logging's "%(asctime)s - " stamp
// (2006-01-02 15:04:05,000); the log package serialises calls to Write.
type stampWriter struct{ out io.Writer }

func (s *stampWriter) Write(p []byte) (int, error) {
	now := time.Now()
	stamp := fmt.Sprintf("%s,%03d - ", now.Format("2006-01-02 15:04:05"), now.Nanosecond()/1e6)
	_, err := s.out.Write(append([]byte(stamp), p...))
	return len(p), err
}
