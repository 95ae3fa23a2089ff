/*
 * loadgen.c - the benchmark's load generator for the TIME protocol (docs/protocol.md).
 *
 *   loadgen pingpong -c CONNS [-d SECONDS] [-w WARMUP]
 *   loadgen pipeline -c CONNS -p DEPTH [-d SECONDS] [-w WARMUP]
 *   (pingpong and pipeline: -R ROUNDS sends exactly ROUNDS requests or batches per connection
 *   after opening, then stops; -d is then only a deadline. For counts per request that must
 *   not depend on how fast the server is: bench/guard.sh)
 *   loadgen churn    -c CONCURRENCY [-d SECONDS] [-w WARMUP]
 *   loadgen idle     -n CONNS [-s HOLD_SECONDS] [-B]
 *   common: -H ADDRESS (a loopback literal; default 127.0.0.1)  -P PORT (45000)
 *           -t THREADS (1)  -r RAMP (64: connections being opened at once, per thread)
 *           -T SECONDS (60: to open every connection)  -W SECONDS (10: idle recheck)
 *
 * pingpong  every connection sends "TIME\r\n" and waits for its reply before the next one;
 *           completed = replies, latency = one round trip.
 * pipeline  every connection sends DEPTH requests in one write and waits for all their
 *           replies before the next batch; completed = replies (each counted as it arrives),
 *           latency = one batch.
 * churn     CONCURRENCY loops of: connect, send "TIME\r\nQUIT\r\n", read the reply, wait for
 *           the server to close, close; completed = connections, latency = connect to close.
 * idle      opens CONNS connections, holds them quiet for HOLD seconds (a close or any byte
 *           from the server is an error), then sends TIME on each (RAMP at a time, all at
 *           once with -B): answered / dropped / unanswered.  Prints "ready" on a line of its
 *           own when every connection is open, so a caller can measure the server meanwhile.
 *
 * pingpong, pipeline and idle open their connections first (at most RAMP per thread between
 * connect() and a first verified TIME reply; an attempt that fails or takes 3 s is retried
 * twice), then warm up, then measure.  Each thread runs one epoll loop over its share of the
 * connections.  Sockets are registered once, edge-triggered, for reading and writing, so a
 * round trip costs one send() and one recv() plus a share of one epoll_wait(); nothing is
 * allocated after start-up.
 *
 * Every byte the server sends is checked against "JAM hh:mm:ss\r\n" (hh <= 23, mm <= 59,
 * ss <= 60) by a streaming matcher, so a reply split across reads is fine and anything else
 * -- a wrong byte, an out-of-range field, an ERROR line, a reply nobody asked for, a close or
 * reset before the reply -- is counted as an error and the connection is dropped.  So is, in
 * pingpong and pipeline, a connection that completed nothing in the whole measured window
 * ("stalled": a mute or stuck server).
 *
 * Output: one human line, then one JSON line, on stdout.  Besides the window's figures the JSON
 * has replies_all: every reply received in every phase (opening, warm-up, window, drain), the
 * denominator for a count taken on the server over the whole run (bench/run.sh's syscalls).  Exit status 0 when nothing went
 * wrong and something was completed, 1 otherwise, 2 for bad usage.  Only loopback targets.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum mode { PINGPONG, PIPELINE, CHURN, IDLE };
static const char *const mode_name[] = {"pingpong", "pipeline", "churn", "idle"};

enum state {
    ST_FREE,       /* no socket yet */
    ST_CONNECTING, /* connect() in progress */
    ST_PROBE,      /* opening: first TIME sent, reply awaited */
    ST_OPEN,       /* open, verified, nothing owed */
    ST_BUSY,       /* requests in flight */
    ST_CH_REPLY,   /* churn: TIME+QUIT sent, reply awaited */
    ST_CH_CLOSE,   /* churn: reply received, server's close awaited */
    ST_DEAD        /* failed and closed */
};

struct conn {
    int fd;
    uint8_t st;
    uint8_t pos;   /* position in the 14-byte reply pattern */
    uint8_t tens;  /* value of the two-digit field being read, tens digit */
    uint8_t tries; /* connect attempts used while opening */
    uint32_t owed; /* replies still expected */
    uint32_t off, len; /* bytes of the current request sent / to send */
    const char *req;
    uint64_t t0;    /* start of the current request, batch or connection */
    uint64_t since; /* start of the current opening step */
    uint64_t got;   /* completions inside the measured window */
    uint64_t rounds; /* requests (batches) sent after opening, for -R */
};

/* log-linear latency histogram in ns: exact below 64, then 32 buckets per power of two */
#define SUB_BITS 5
#define SUB (1u << SUB_BITS)
#define NBUCKETS (SUB * 2 + SUB * 40)

struct worker {
    int id, ep;
    struct conn *c;
    int n;
    int next;    /* next connection to open */
    int opening; /* between connect() and verified reply */
    int opened, failed;
    int busy;    /* connections with requests in flight */
    int in_open; /* in the opening phase: a lost open connection no longer counts as opened */
    uint64_t all; /* every reply, in every phase (what the server did while we ran) */
    uint64_t done, e_proto, e_eof, e_io, e_connect, e_timeout;
    uint64_t answered, dropped, unanswered;
    uint64_t lat_n, lat_sum, lat_max;
    uint64_t hist[NBUCKETS];
    pthread_t th;
    unsigned char buf[65536];
};

/* ---- settings (fixed before the threads start) ---- */
static enum mode g_mode;
static int g_conns = 1, g_depth = 1, g_threads = 1, g_ramp = 64, g_burst;
static uint64_t g_rounds; /* -R: requests (batches) per connection; 0: as many as -d allows */
static double g_dur = 4, g_warm = 1, g_hold = 5, g_open_to = 60, g_recheck_to = 10;
static const char *g_host = "127.0.0.1";
static int g_port = 45000;
static struct sockaddr_storage g_sa;
static socklen_t g_salen;
static const char TIME_REQ[] = "TIME\r\n";
static const char CHURN_REQ[] = "TIME\r\nQUIT\r\n";
static char *g_batch; /* g_depth requests back to back */
#define TIME_LEN (sizeof TIME_REQ - 1)

/* ---- phase boundaries (written by thread 0 between two barriers) ---- */
static uint64_t g_open_begin, g_ready, g_meas, g_end, g_hold_end;
static pthread_barrier_t g_bar;
static atomic_int g_stop;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int ms_left(uint64_t deadline, uint64_t now)
{
    if (now >= deadline) return 0;
    uint64_t ms = (deadline - now) / 1000000u + 1;
    return ms > 100 ? 100 : (int)ms;
}

static void on_stop(int sig) { (void)sig; atomic_store(&g_stop, 1); }

static void on_watchdog(int sig)
{
    static const char msg[] = "loadgen: watchdog: a phase overran its deadline; giving up\n";
    (void)sig;
    if (write(2, msg, sizeof msg - 1) < 0) _exit(3);
    _exit(3);
}

/* ---- histogram ---- */
static unsigned bucket_of(uint64_t v)
{
    if (v < 2 * SUB) return (unsigned)v;
    unsigned top = 63u - (unsigned)__builtin_clzll(v); /* >= SUB_BITS + 1 */
    unsigned shift = top - SUB_BITS;
    unsigned b = (shift + 1) * SUB + (unsigned)((v >> shift) - SUB);
    return b < NBUCKETS ? b : NBUCKETS - 1;
}

static double bucket_mid(unsigned b)
{
    if (b < 2 * SUB) return b;
    unsigned shift = b / SUB - 1;
    uint64_t lo = (uint64_t)(b % SUB + SUB) << shift;
    return (double)lo + (double)((1ull << shift) - 1) / 2.0;
}

static void note_latency(struct worker *w, uint64_t ns)
{
    w->hist[bucket_of(ns)]++;
    w->lat_n++;
    w->lat_sum += ns;
    if (ns > w->lat_max) w->lat_max = ns;
}

static double percentile_us(const uint64_t *h, uint64_t n, double q, uint64_t max_ns)
{
    if (n == 0) return 0;
    uint64_t rank = (uint64_t)(q * (double)n);
    if ((double)rank < q * (double)n) rank++;
    if (rank == 0) rank = 1;
    uint64_t seen = 0;
    for (unsigned b = 0; b < NBUCKETS; b++) {
        seen += h[b];
        if (seen >= rank) {
            double mid = bucket_mid(b);
            return (mid > (double)max_ns ? (double)max_ns : mid) / 1000.0;
        }
    }
    return (double)max_ns / 1000.0;
}

/* ---- reply matcher: "JAM hh:mm:ss\r\n" ---- */
static const char SHAPE[] = "JAM ##:##:##\r\n"; /* '#' = a digit */
#define REPLY_LEN 14

/* one byte; -1 on a mismatch, 1 when it completed a reply, 0 otherwise */
static int match_byte(struct conn *c, unsigned char b)
{
    unsigned p = c->pos;
    if (SHAPE[p] == '#') {
        if (b < '0' || b > '9') return -1;
        if (p == 4 || p == 7 || p == 10) {
            c->tens = (uint8_t)(b - '0');
        } else {
            unsigned v = c->tens * 10u + (b - '0');
            if (v > (p == 5 ? 23u : p == 8 ? 59u : 60u)) return -1;
        }
    } else if (b != (unsigned char)SHAPE[p]) {
        return -1;
    }
    if (++p == REPLY_LEN) {
        c->pos = 0;
        return 1;
    }
    c->pos = (uint8_t)p;
    return 0;
}

/* n bytes from the server; the number of replies they completed, or -1 on a mismatch */
static int match(struct conn *c, const unsigned char *s, size_t n)
{
    int replies = 0;
    for (size_t i = 0; i < n; i++) {
        /* fast path: a whole reply starting on a reply boundary */
        if (c->pos == 0 && n - i >= REPLY_LEN && memcmp(s + i, "JAM ", 4) == 0 &&
            s[i + 6] == ':' && s[i + 9] == ':' && s[i + 12] == '\r' && s[i + 13] == '\n') {
            const unsigned char *d = s + i + 4;
            int ok = 1;
            for (int k = 0; k < 8; k += 3)
                ok &= d[k] >= '0' && d[k] <= '9' && d[k + 1] >= '0' && d[k + 1] <= '9';
            if (ok && (d[0] - '0') * 10 + (d[1] - '0') <= 23 && (d[3] - '0') * 10 + (d[4] - '0') <= 59 &&
                (d[6] - '0') * 10 + (d[7] - '0') <= 60) {
                replies++;
                i += REPLY_LEN - 1;
                continue;
            }
            return -1;
        }
        int r = match_byte(c, s[i]);
        if (r < 0) return -1;
        replies += r;
    }
    return replies;
}

/* ---- sockets ---- */
static void shut(struct conn *c, int st)
{
    if (c->fd >= 0) close(c->fd); /* also leaves the epoll set */
    c->fd = -1;
    c->st = (uint8_t)st;
    c->pos = 0;
    c->owed = 0;
    c->off = c->len = 0;
}

/* starts a non-blocking connect; -1 when it failed at once */
static int dial(struct worker *w, struct conn *c, uint64_t now)
{
    int fd = socket(g_sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    /* lets a server that sets SO_REUSEADDR bind a port our closed sockets still hold */
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (connect(fd, (struct sockaddr *)&g_sa, g_salen) < 0 && errno != EINPROGRESS) {
        close(fd);
        return -1;
    }
    /* registered once: edge-triggered, both directions, never modified */
    struct epoll_event e = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, .data.ptr = c};
    if (epoll_ctl(w->ep, EPOLL_CTL_ADD, fd, &e) < 0) {
        close(fd);
        return -1;
    }
    c->fd = fd;
    c->st = ST_CONNECTING;
    c->pos = 0;
    c->owed = 0;
    c->off = c->len = 0;
    c->since = c->t0 = now;
    return 0;
}

/* sends what is left of the current request; 0 (all sent, or the rest waits for EPOLLOUT) or -1 */
static int push(struct conn *c)
{
    while (c->off < c->len) {
        ssize_t k = send(c->fd, c->req + c->off, c->len - c->off, MSG_NOSIGNAL);
        if (k > 0) c->off += (uint32_t)k;
        else if (k < 0 && errno == EINTR) continue;
        else if (k < 0 && errno == EAGAIN) return 0;
        else return -1;
    }
    return 0;
}

static int request(struct conn *c, const char *req, size_t len, uint32_t replies, uint64_t now)
{
    c->req = req;
    c->len = (uint32_t)len;
    c->off = 0;
    c->owed = replies;
    c->t0 = now;
    return push(c);
}

static int next_request(struct conn *c, uint64_t now)
{
    c->rounds++;
    if (g_mode == PIPELINE) return request(c, g_batch, TIME_LEN * (size_t)g_depth, (uint32_t)g_depth, now);
    return request(c, TIME_REQ, TIME_LEN, 1, now);
}

static int in_window(uint64_t t) { return t >= g_meas && t < g_end; }

/* ---- opening ---- */
#define ATTEMPTS 3
#define ATTEMPT_NS 3000000000ull

/* an opening attempt failed: retry (connect-level failures only) or give the connection up */
static void open_failed(struct worker *w, struct conn *c, uint64_t now, uint64_t *counter)
{
    shut(c, ST_FREE);
    if (counter == &w->e_proto) {
        w->e_proto++; /* a wrong answer is not retried */
    } else {
        while (c->tries < ATTEMPTS) {
            c->tries++;
            if (dial(w, c, now) == 0) return;
        }
        (*counter)++;
    }
    c->st = ST_DEAD;
    w->opening--;
    w->failed++;
}

/* ---- churn ---- */
static void churn_again(struct worker *w, struct conn *c)
{
    shut(c, ST_FREE);
    uint64_t now = now_ns();
    if (now >= g_end || atomic_load(&g_stop)) return;
    for (int i = 0; i < 3; i++) {
        if (dial(w, c, now) == 0) return;
        w->e_connect++;
    }
    c->st = ST_DEAD;
}

/* ---- events ---- */
/* a connection failed after it was open: count it under *counter and drop it */
static void lost(struct worker *w, struct conn *c, uint64_t *counter)
{
    (*counter)++;
    if (c->st == ST_BUSY) w->busy--;
    if (g_mode == CHURN) churn_again(w, c);
    else shut(c, ST_DEAD);
}

/* bytes from the server; 0 to keep reading, -1 when the connection was closed or replaced */
static int on_bytes(struct worker *w, struct conn *c, const unsigned char *s, size_t n, int recheck)
{
    int r;
    uint64_t now;
    switch (c->st) {
    case ST_PROBE:
        r = match(c, s, n);
        if (r < 0 || r > 1 || (r == 1 && c->pos != 0)) {
            open_failed(w, c, now_ns(), &w->e_proto);
            return -1;
        }
        if (r == 1) {
            w->all++;
            c->st = ST_OPEN;
            c->owed = 0;
            w->opening--;
            w->opened++;
        }
        return 0;
    case ST_BUSY:
        r = match(c, s, n);
        if (r < 0 || (uint32_t)r > c->owed || ((uint32_t)r == c->owed && c->pos != 0)) {
            lost(w, c, &w->e_proto); /* garbage, or more than was asked for */
            return -1;
        }
        if (r == 0) return 0;
        w->all += (uint64_t)r;
        c->owed -= (uint32_t)r;
        now = now_ns();
        if (recheck) {
            if (c->owed == 0) {
                w->answered++;
                note_latency(w, now - c->t0);
                c->st = ST_OPEN;
                w->busy--;
            }
            return 0;
        }
        if (g_mode == PIPELINE && in_window(now)) {
            w->done += (uint64_t)r;
            c->got += (uint64_t)r;
        }
        if (c->owed == 0) {
            if (in_window(now)) {
                note_latency(w, now - c->t0);
                if (g_mode == PINGPONG) {
                    w->done++;
                    c->got++;
                }
            }
            if (now >= g_end || atomic_load(&g_stop) || (g_rounds && c->rounds >= g_rounds)) {
                /* draining, or this connection's -R rounds are done: no new request */
                c->st = ST_OPEN;
                w->busy--;
            } else if (next_request(c, now) < 0) {
                lost(w, c, &w->e_io);
                return -1;
            }
        }
        return 0;
    case ST_CH_REPLY:
        r = match(c, s, n);
        if (r < 0 || r > 1 || (r == 1 && c->pos != 0)) {
            lost(w, c, &w->e_proto);
            return -1;
        }
        if (r == 1) {
            w->all++;
            c->st = ST_CH_CLOSE;
        }
        return 0;
    case ST_OPEN:     /* unsolicited bytes (idle hold, or while the others open) */
    case ST_CH_CLOSE: /* bytes after the reply to TIME, QUIT was sent */
        lost(w, c, &w->e_proto);
        if (w->in_open) w->opened--, w->failed++;
        return -1;
    default:
        return -1;
    }
}

/* the server closed (0) or reset (err) the connection */
static void on_close(struct worker *w, struct conn *c, int err, int in_hold)
{
    switch (c->st) {
    case ST_CONNECTING:
    case ST_PROBE:
        open_failed(w, c, now_ns(), &w->e_connect); /* e.g. refused, or "server busy" */
        return;
    case ST_CH_CLOSE:
        if (!err && c->off == c->len) {
            uint64_t now = now_ns();
            if (in_window(now)) {
                w->done++;
                note_latency(w, now - c->t0);
            }
            churn_again(w, c);
            return;
        }
        lost(w, c, &w->e_io);
        return;
    case ST_OPEN:
        if (g_mode == IDLE && in_hold) { /* the server dropped an idle connection */
            w->dropped++;
            shut(c, ST_DEAD);
            return;
        }
        lost(w, c, err ? &w->e_io : &w->e_eof);
        if (w->in_open) w->opened--, w->failed++;
        return;
    case ST_BUSY:
        if (g_mode == IDLE) { /* recheck: closed instead of answering */
            w->dropped++;
            w->busy--;
            shut(c, ST_DEAD);
            return;
        }
        lost(w, c, err ? &w->e_io : &w->e_eof);
        return;
    default:
        lost(w, c, err ? &w->e_io : &w->e_eof);
        return;
    }
}

static void on_event(struct worker *w, struct conn *c, uint32_t ev, int flags)
{
    int recheck = flags & 1, in_hold = flags & 2;
    if (c->st == ST_FREE || c->st == ST_DEAD) return;
    if (c->st == ST_CONNECTING) {
        if (ev & (EPOLLERR | EPOLLHUP)) {
            if (g_mode == CHURN) {
                w->e_connect++;
                churn_again(w, c);
            } else {
                open_failed(w, c, now_ns(), &w->e_connect);
            }
            return;
        }
        if (!(ev & EPOLLOUT)) return;
        uint64_t now = now_ns();
        int rc;
        if (g_mode == CHURN) {
            c->st = ST_CH_REPLY;
            rc = request(c, CHURN_REQ, sizeof CHURN_REQ - 1, 1, c->t0);
        } else {
            c->st = ST_PROBE;
            c->since = now;
            rc = request(c, TIME_REQ, TIME_LEN, 1, now);
        }
        if (rc < 0) on_close(w, c, 1, in_hold);
        return; /* the reply brings its own edge */
    }
    if ((ev & EPOLLOUT) && c->off < c->len && push(c) < 0) {
        on_close(w, c, 1, in_hold);
        return;
    }
    if (!(ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))) return;
    for (;;) {
        ssize_t k = recv(c->fd, w->buf, sizeof w->buf, 0);
        if (k > 0) {
            if (on_bytes(w, c, w->buf, (size_t)k, recheck) < 0) return;
            /* edge-triggered: a short read emptied the socket, unless a FIN came with it */
            if ((size_t)k < sizeof w->buf && !(ev & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))) return;
            if (c->fd < 0) return;
            continue;
        }
        if (k < 0 && errno == EINTR) continue;
        if (k < 0 && errno == EAGAIN) return;
        on_close(w, c, k < 0, in_hold);
        return;
    }
}

/* one epoll_wait and its events; the loops below decide when to stop */
static void poll_once(struct worker *w, uint64_t deadline, int flags)
{
    struct epoll_event evs[512];
    int n = epoll_wait(w->ep, evs, 512, ms_left(deadline, now_ns()));
    for (int i = 0; i < n; i++) on_event(w, evs[i].data.ptr, evs[i].events, flags);
}

/* ---- phases ---- */
static void open_all(struct worker *w, uint64_t deadline)
{
    uint64_t next_scan = now_ns() + 100000000u;
    w->in_open = 1;
    while (!atomic_load(&g_stop)) {
        uint64_t now = now_ns();
        while (w->opening < g_ramp && w->next < w->n) {
            struct conn *c = &w->c[w->next++];
            w->opening++;
            c->tries = 1;
            if (dial(w, c, now) < 0) open_failed(w, c, now, &w->e_connect);
        }
        if (w->opened + w->failed >= w->n || now >= deadline) break;
        poll_once(w, now + 20000000u < deadline ? now + 20000000u : deadline, 0);
        now = now_ns();
        if (now >= next_scan) { /* an attempt stuck for 3 s (dropped SYN, mute server): retry */
            next_scan = now + 100000000u;
            for (int i = 0; i < w->next; i++) {
                struct conn *c = &w->c[i];
                if ((c->st == ST_CONNECTING || c->st == ST_PROBE) && now - c->since > ATTEMPT_NS) {
                    w->e_timeout++;
                    open_failed(w, c, now, &w->e_connect);
                }
            }
        }
    }
    for (int i = 0; i < w->n; i++) { /* whatever is not open by the deadline has failed */
        struct conn *c = &w->c[i];
        if (c->st == ST_CONNECTING || c->st == ST_PROBE || c->st == ST_FREE) {
            w->e_connect++;
            w->failed++;
            shut(c, ST_DEAD);
        }
    }
    w->opening = 0;
    w->in_open = 0;
}

static void run_requests(struct worker *w)
{
    uint64_t now = now_ns();
    for (int i = 0; i < w->n; i++) {
        struct conn *c = &w->c[i];
        if (c->st != ST_OPEN) continue;
        c->st = ST_BUSY;
        w->busy++;
        if (next_request(c, now) < 0) lost(w, c, &w->e_io);
    }
    while (!atomic_load(&g_stop) && now_ns() < g_end && (!g_rounds || w->busy > 0)) poll_once(w, g_end, 0);
    /* collect what is still in flight (at most 1 s), so that servers see orderly closes */
    uint64_t drain_end = now_ns() + 1000000000u;
    while (w->busy > 0 && !atomic_load(&g_stop) && now_ns() < drain_end) poll_once(w, drain_end, 0);
}

static void run_churn(struct worker *w)
{
    uint64_t now = now_ns();
    for (int i = 0; i < w->n; i++) {
        struct conn *c = &w->c[i];
        for (int k = 0; k < 3; k++) {
            if (dial(w, c, now) == 0) break;
            w->e_connect++;
        }
        if (c->fd < 0) c->st = ST_DEAD;
    }
    while (!atomic_load(&g_stop) && now_ns() < g_end) poll_once(w, g_end, 0);
}

static void idle_hold(struct worker *w)
{
    while (!atomic_load(&g_stop) && now_ns() < g_hold_end) poll_once(w, g_hold_end, 2);
}

static void idle_recheck(struct worker *w)
{
    uint64_t deadline = now_ns() + (uint64_t)(g_recheck_to * 1e9);
    int limit = g_burst ? w->n : g_ramp, next = 0;
    for (;;) {
        while (w->busy < limit && next < w->n) {
            struct conn *c = &w->c[next++];
            if (c->st != ST_OPEN) continue;
            c->st = ST_BUSY;
            w->busy++;
            if (request(c, TIME_REQ, TIME_LEN, 1, now_ns()) < 0) {
                w->e_io++;
                w->busy--;
                shut(c, ST_DEAD);
            }
        }
        if (w->busy == 0 || atomic_load(&g_stop) || now_ns() >= deadline) break;
        poll_once(w, deadline, 1);
    }
    uint64_t left = 0; /* asked but not answered in time, or never asked */
    for (int i = 0; i < w->n; i++)
        if (w->c[i].st == ST_BUSY || (i >= next && w->c[i].st == ST_OPEN)) left++;
    w->unanswered += left;
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    if (g_mode != CHURN) {
        if (w->id == 0) g_open_begin = now_ns();
        pthread_barrier_wait(&g_bar);
        open_all(w, g_open_begin + (uint64_t)(g_open_to * 1e9));
    }
    pthread_barrier_wait(&g_bar);
    if (w->id == 0) {
        g_ready = now_ns();
        g_meas = g_ready + (uint64_t)(g_warm * 1e9);
        g_end = g_meas + (uint64_t)(g_dur * 1e9);
        g_hold_end = g_ready + (uint64_t)(g_hold * 1e9);
        if (g_mode == IDLE) {
            puts("ready");
            fflush(stdout);
        }
    }
    pthread_barrier_wait(&g_bar);
    switch (g_mode) {
    case PINGPONG:
    case PIPELINE: run_requests(w); break;
    case CHURN: run_churn(w); break;
    case IDLE:
        idle_hold(w);
        pthread_barrier_wait(&g_bar);
        idle_recheck(w);
        break;
    }
    return NULL;
}

/* ---- command line ---- */
static void usage(void)
{
    fputs("usage: loadgen pingpong -c CONNS [-d SECONDS] [-w WARMUP]\n"
          "       loadgen pipeline -c CONNS -p DEPTH [-d SECONDS] [-w WARMUP]\n"
          "       loadgen churn -c CONCURRENCY [-d SECONDS] [-w WARMUP]\n"
          "       loadgen idle -n CONNS [-s HOLD_SECONDS] [-B]\n"
          "pingpong and pipeline: -R ROUNDS (exactly this many requests or batches per connection)\n"
          "common: -H ADDRESS (loopback, default 127.0.0.1) -P PORT (45000) -t THREADS (1)\n"
          "        -r RAMP (64) -T OPEN_TIMEOUT (60) -W RECHECK_TIMEOUT (10)\n",
          stderr);
    exit(2);
}

static double number(const char *s, double lo, double hi, const char *what)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !(v >= lo && v <= hi)) {
        fprintf(stderr, "loadgen: %s must be %g..%g, got '%s'\n", what, lo, hi, s);
        exit(2);
    }
    return v;
}

static void target(void)
{
    const char *h = strcmp(g_host, "localhost") == 0 ? "127.0.0.1" : g_host;
    struct sockaddr_in *v4 = (struct sockaddr_in *)&g_sa;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&g_sa;
    memset(&g_sa, 0, sizeof g_sa);
    if (inet_pton(AF_INET, h, &v4->sin_addr) == 1 && (ntohl(v4->sin_addr.s_addr) >> 24) == 127) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)g_port);
        g_salen = sizeof *v4;
    } else if (inet_pton(AF_INET6, h, &v6->sin6_addr) == 1 && IN6_IS_ADDR_LOOPBACK(&v6->sin6_addr)) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)g_port);
        g_salen = sizeof *v6;
    } else {
        fprintf(stderr, "loadgen: -H wants a loopback address (127.x.x.x, ::1 or localhost), got '%s'\n", g_host);
        exit(2);
    }
}

int main(int argc, char **argv)
{
    if (argc < 2) usage();
    int m = 0;
    while (m < 4 && strcmp(argv[1], mode_name[m]) != 0) m++;
    if (m == 4) usage();
    g_mode = (enum mode)m;
    int opt;
    optind = 2;
    while ((opt = getopt(argc, argv, "c:n:p:d:w:s:t:H:P:r:R:T:W:B")) != -1) {
        switch (opt) {
        case 'c':
        case 'n': g_conns = (int)number(optarg, 1, 200000, "the connection count"); break;
        case 'p': g_depth = (int)number(optarg, 1, 4096, "-p"); break;
        case 'd': g_dur = number(optarg, 0.01, 3600, "-d"); break;
        case 'w': g_warm = number(optarg, 0, 3600, "-w"); break;
        case 's': g_hold = number(optarg, 0, 3600, "-s"); break;
        case 't': g_threads = (int)number(optarg, 1, 64, "-t"); break;
        case 'H': g_host = optarg; break;
        case 'P': g_port = (int)number(optarg, 1, 65535, "-P"); break;
        case 'R': g_rounds = (uint64_t)number(optarg, 1, 1e9, "-R"); break;
        case 'r': g_ramp = (int)number(optarg, 1, 100000, "-r"); break;
        case 'T': g_open_to = number(optarg, 0.1, 3600, "-T"); break;
        case 'W': g_recheck_to = number(optarg, 0.1, 3600, "-W"); break;
        case 'B': g_burst = 1; break;
        default: usage();
        }
    }
    if (optind != argc) usage();
    if (g_mode != PIPELINE) g_depth = 1;
    if (g_mode == IDLE) g_warm = g_dur = 0;
    if (g_threads > g_conns) g_threads = g_conns;
    target();

    struct rlimit rl; /* a descriptor per connection */
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
        (rlim_t)g_conns + 32 > rl.rlim_cur) {
        fprintf(stderr, "loadgen: %d connections need more descriptors than the %llu allowed\n", g_conns,
                (unsigned long long)rl.rlim_cur);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    struct sigaction sa = {.sa_handler = on_stop};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGALRM, on_watchdog); /* every phase has a deadline; this is the backstop */
    alarm((unsigned)(g_open_to + g_warm + g_dur + g_hold + g_recheck_to + 30));

    if (g_mode == PIPELINE) {
        g_batch = malloc(TIME_LEN * (size_t)g_depth);
        if (!g_batch) return 2;
        for (int i = 0; i < g_depth; i++) memcpy(g_batch + TIME_LEN * (size_t)i, TIME_REQ, TIME_LEN);
    }
    struct worker *ws = calloc((size_t)g_threads, sizeof *ws);
    struct conn *cs = calloc((size_t)g_conns, sizeof *cs);
    if (!ws || !cs) return 2;
    int first = 0;
    for (int i = 0; i < g_threads; i++) {
        struct worker *w = &ws[i];
        w->id = i;
        w->n = g_conns / g_threads + (i < g_conns % g_threads);
        w->c = cs + first;
        first += w->n;
        for (int k = 0; k < w->n; k++) w->c[k].fd = -1;
        w->ep = epoll_create1(EPOLL_CLOEXEC);
        if (w->ep < 0) {
            perror("loadgen: epoll_create1");
            return 2;
        }
    }
    pthread_barrier_init(&g_bar, NULL, (unsigned)g_threads);

    struct rusage r0, r1;
    getrusage(RUSAGE_SELF, &r0);
    uint64_t t_begin = now_ns();
    for (int i = 1; i < g_threads; i++)
        if (pthread_create(&ws[i].th, NULL, worker_main, &ws[i]) != 0) {
            perror("loadgen: pthread_create");
            return 2;
        }
    worker_main(&ws[0]);
    for (int i = 1; i < g_threads; i++) pthread_join(ws[i].th, NULL);
    uint64_t t_finish = now_ns();
    getrusage(RUSAGE_SELF, &r1);

    /* ---- totals ---- */
    static uint64_t hist[NBUCKETS];
    uint64_t all = 0, done = 0, e_proto = 0, e_eof = 0, e_io = 0, e_connect = 0, e_timeout = 0;
    uint64_t lat_n = 0, lat_sum = 0, lat_max = 0, answered = 0, dropped = 0, unanswered = 0, stalled = 0;
    long opened = 0;
    for (int i = 0; i < g_threads; i++) {
        struct worker *w = &ws[i];
        done += w->done;
        all += w->all;
        e_proto += w->e_proto;
        e_eof += w->e_eof;
        e_io += w->e_io;
        e_connect += w->e_connect;
        e_timeout += w->e_timeout;
        lat_n += w->lat_n;
        lat_sum += w->lat_sum;
        if (w->lat_max > lat_max) lat_max = w->lat_max;
        answered += w->answered;
        dropped += w->dropped;
        unanswered += w->unanswered;
        opened += w->opened;
        for (unsigned b = 0; b < NBUCKETS; b++) hist[b] += w->hist[b];
        if (g_mode == PINGPONG || g_mode == PIPELINE)
            for (int k = 0; k < w->n; k++)
                if (w->c[k].st != ST_DEAD && w->c[k].got == 0) stalled++;
    }
    for (int i = 0; i < g_conns; i++)
        if (cs[i].fd >= 0) close(cs[i].fd);
    /* a connection that got no reply during the whole window (mute or stuck server) is an
       error too; replies merely late at the end of the window are not */
    uint64_t errors = e_proto + e_eof + e_io + e_connect + stalled;
    if (g_mode == IDLE) errors += dropped + unanswered;
    double window = g_mode == IDLE ? 0 : g_dur;
    if (g_mode != IDLE && atomic_load(&g_stop)) { /* cut short by a signal */
        uint64_t e = t_finish < g_end ? t_finish : g_end;
        window = e > g_meas ? (double)(e - g_meas) / 1e9 : 0;
    }
    double rate = window > 0 ? (double)done / window : 0;
    double p50 = percentile_us(hist, lat_n, 0.50, lat_max), p99 = percentile_us(hist, lat_n, 0.99, lat_max),
           p999 = percentile_us(hist, lat_n, 0.999, lat_max);
    double mean = lat_n ? (double)lat_sum / (double)lat_n / 1000.0 : 0;
    double cpu = (double)(r1.ru_utime.tv_sec - r0.ru_utime.tv_sec + r1.ru_stime.tv_sec - r0.ru_stime.tv_sec) +
                 (double)(r1.ru_utime.tv_usec - r0.ru_utime.tv_usec + r1.ru_stime.tv_usec - r0.ru_stime.tv_usec) / 1e6;
    double wall = (double)(t_finish - t_begin) / 1e9;
    double open_s = g_mode == CHURN ? 0 : (double)(g_ready - g_open_begin) / 1e9;

    if (g_mode == IDLE) {
        printf("idle n=%d t=%d: %ld open after %.2f s, held %.1f s; answered %" PRIu64 ", dropped %" PRIu64
               ", unanswered %" PRIu64 "; recheck p99 %.1f us; errors %" PRIu64 " (proto %" PRIu64 ", eof %" PRIu64
               ", io %" PRIu64 ", connect %" PRIu64 ")\n",
               g_conns, g_threads, opened, open_s, g_hold, answered, dropped, unanswered, p99, errors, e_proto,
               e_eof, e_io, e_connect);
    } else {
        const char *unit = g_mode == PIPELINE ? "replies" : g_mode == CHURN ? "connections" : "requests";
        printf("%s c=%d", mode_name[g_mode], g_conns);
        if (g_mode == PIPELINE) printf(" p=%d", g_depth);
        printf(" t=%d: %" PRIu64 " %s in %.2f s = %.1f/s; p50 %.1f us, p99 %.1f us, max %.1f us; errors %" PRIu64
               " (proto %" PRIu64 ", eof %" PRIu64 ", io %" PRIu64 ", connect %" PRIu64 "); stalled %" PRIu64
               "; loadgen CPU %.0f %%\n",
               g_threads, done, unit, window, rate, p50, p99, (double)lat_max / 1000.0, errors, e_proto, e_eof,
               e_io, e_connect, stalled, wall > 0 ? 100 * cpu / wall : 0);
    }
    printf("{\"generator\":\"bench/loadgen\",\"mode\":\"%s\",\"host\":\"%s\",\"port\":%d,\"conns\":%d,"
           "\"threads\":%d,\"depth\":%d,\"warmup_s\":%.3f,\"duration_s\":%.3f,\"completed\":%" PRIu64
           ",\"rps\":%.1f,\"p50_us\":%.1f,\"p99_us\":%.1f,\"p999_us\":%.1f,\"max_us\":%.1f,\"mean_us\":%.1f,"
           "\"errors\":%" PRIu64 ",\"err_proto\":%" PRIu64 ",\"err_eof\":%" PRIu64 ",\"err_io\":%" PRIu64
           ",\"err_connect\":%" PRIu64 ",\"open_timeouts\":%" PRIu64 ",\"stalled\":%" PRIu64
           ",\"opened\":%ld,\"open_s\":%.3f,\"hold_s\":%.3f,\"burst\":%d,\"answered\":%" PRIu64
           ",\"dropped\":%" PRIu64 ",\"unanswered\":%" PRIu64 ",\"replies_all\":%" PRIu64
           ",\"loadgen_cpu_s\":%.3f,\"wall_s\":%.3f}\n",
           mode_name[g_mode], g_host, g_port, g_conns, g_threads, g_depth, g_warm, window, done, rate, p50, p99,
           p999, (double)lat_max / 1000.0, mean, errors, e_proto, e_eof, e_io, e_connect, e_timeout, stalled,
           opened, open_s, g_mode == IDLE ? g_hold : 0.0, g_burst, answered, dropped, unanswered, all, cpu, wall);
    fflush(stdout);
    uint64_t good = g_mode == IDLE ? answered : done;
    return errors || good == 0 ? 1 : 0;
}
