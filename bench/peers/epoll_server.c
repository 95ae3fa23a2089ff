/*
 * epoll_server.c - the upper bound the benchmark compares time_server against.
 *
 * A TIME server (docs/protocol.md's wire contract, without logging, idle timeout or
 * connection limit) written the way a C programmer would write the fastest possible one
 * on Linux: every thread owns a listening socket on the same port (SO_REUSEPORT, so the
 * kernel spreads new connections across the threads) and one edge-triggered epoll loop.
 * No locks, no allocation per request; a connection costs a small struct, plus a line
 * buffer only while it holds an unterminated line and an output buffer only while the
 * client is not reading its replies.
 *
 *   epoll_server [-p PORT] [-t THREADS] [-b IPV4]     defaults: 45000, CPUs, 127.0.0.1
 *
 * Per readable event: read 16 KiB at a time until a short read, answer every complete line
 * of the chunk into one output buffer, write it with one send().  What the socket does not
 * take is kept, and reading stops until it has been flushed (backpressure).
 * SIGINT/SIGTERM end the process.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_LINE 1024        /* bytes before the LF, a CR included */
#define CHUNK 16384          /* one read */
#define OUT_CAP (CHUNK * 17) /* worst case: "x\n" (2 bytes) -> a 33-byte error reply */
#define MAX_EVENTS 256

static const char R_HELP[] = "BANTUAN: TIME, QUIT, HELP\r\n";
static const char R_UNKNOWN[] = "ERROR: Perintah tidak dikenal.\r\n";
static const char R_TOO_LONG[] = "ERROR: Perintah terlalu panjang.\r\n";

struct conn {
    int fd;
    int closing;     /* QUIT, too long or EOF seen: close once the output is flushed */
    char *line;      /* unterminated line carried over between reads (MAX_LINE bytes) */
    size_t line_len;
    char *pend;      /* replies the socket did not take yet */
    size_t pend_len, pend_off;
};

struct worker {
    int lfd, ep;
    time_t clock_sec; /* the second clock_text was formatted for */
    char clock_text[24]; /* 15 bytes used; room for what -Wformat-truncation fears */
    char in[CHUNK];
    char out[OUT_CAP];
};

static struct sockaddr_in g_addr;

static void die(const char *what)
{
    perror(what);
    exit(1);
}

/* "JAM hh:mm:ss\r\n" for the current local time, formatted once per second */
static const char *time_reply(struct worker *w)
{
    time_t now = time(NULL);
    if (now != w->clock_sec) {
        struct tm tm;
        localtime_r(&now, &tm);
        snprintf(w->clock_text, sizeof w->clock_text, "JAM %02d:%02d:%02d\r\n", tm.tm_hour % 24,
                 tm.tm_min % 60, tm.tm_sec % 61);
        w->clock_sec = now;
    }
    return w->clock_text;
}

static int is_blank(char c) { return c == ' ' || c == '\t'; }

static int word_is(const char *s, size_t n, const char *upper)
{
    size_t i = 0;
    for (; i < n && upper[i]; i++) {
        char c = s[i];
        if (c >= 'a' && c <= 'z') c = (char)(c - 32);
        if (c != upper[i]) return 0;
    }
    return i == n && upper[i] == 0;
}

/* answers one line (without its LF) into out; returns 0, or 1 for QUIT */
static int answer(struct worker *w, const char *s, size_t n, char *out, size_t *olen)
{
    if (n && s[n - 1] == '\r') n--;
    while (n && is_blank(*s)) s++, n--;
    while (n && is_blank(s[n - 1])) n--;
    if (n == 0) return 0;
    if (word_is(s, n, "TIME")) {
        memcpy(out + *olen, time_reply(w), 14);
        *olen += 14;
    } else if (word_is(s, n, "QUIT")) {
        return 1;
    } else if (word_is(s, n, "HELP")) {
        memcpy(out + *olen, R_HELP, sizeof R_HELP - 1);
        *olen += sizeof R_HELP - 1;
    } else {
        memcpy(out + *olen, R_UNKNOWN, sizeof R_UNKNOWN - 1);
        *olen += sizeof R_UNKNOWN - 1;
    }
    return 0;
}

/* frames the chunk into lines and answers them; sets c->closing on QUIT or a too-long line */
static size_t consume(struct worker *w, struct conn *c, const char *p, size_t n)
{
    size_t olen = 0;
    while (n && !c->closing) {
        const char *lf = memchr(p, '\n', n);
        size_t take = lf ? (size_t)(lf - p) : n;
        if (c->line_len + take > MAX_LINE) {
            memcpy(w->out + olen, R_TOO_LONG, sizeof R_TOO_LONG - 1);
            olen += sizeof R_TOO_LONG - 1;
            c->closing = 1;
            break;
        }
        if (!lf) { /* keep the start of a line until its LF arrives */
            if (!c->line && !(c->line = malloc(MAX_LINE))) die("malloc");
            memcpy(c->line + c->line_len, p, take);
            c->line_len += take;
            break;
        }
        int quit;
        if (c->line_len) {
            memcpy(c->line + c->line_len, p, take);
            quit = answer(w, c->line, c->line_len + take, w->out, &olen);
            free(c->line);
            c->line = NULL;
            c->line_len = 0;
        } else {
            quit = answer(w, p, take, w->out, &olen);
        }
        if (quit) c->closing = 1;
        p += take + 1;
        n -= take + 1;
    }
    return olen;
}

static void drop(struct conn *c)
{
    close(c->fd); /* also leaves the epoll set */
    free(c->line);
    free(c->pend);
    free(c);
}

/* writes what is pending; 1 when everything went out, 0 when the socket is full, -1 on error */
static int flush_pending(struct conn *c)
{
    while (c->pend_off < c->pend_len) {
        ssize_t k = send(c->fd, c->pend + c->pend_off, c->pend_len - c->pend_off, MSG_NOSIGNAL);
        if (k > 0) { c->pend_off += (size_t)k; continue; }
        if (k < 0 && errno == EINTR) continue;
        if (k < 0 && errno == EAGAIN) return 0;
        return -1;
    }
    free(c->pend);
    c->pend = NULL;
    c->pend_len = c->pend_off = 0;
    return 1;
}

/* sends out[0..len); keeps the rest in c->pend; same return values as flush_pending */
static int send_out(struct conn *c, const char *out, size_t len)
{
    size_t off = 0;
    while (off < len) {
        ssize_t k = send(c->fd, out + off, len - off, MSG_NOSIGNAL);
        if (k > 0) { off += (size_t)k; continue; }
        if (k < 0 && errno == EINTR) continue;
        if (k < 0 && errno == EAGAIN) break;
        return -1;
    }
    if (off == len) return 1;
    if (!(c->pend = malloc(len - off))) die("malloc");
    memcpy(c->pend, out + off, len - off);
    c->pend_len = len - off;
    c->pend_off = 0;
    return 0;
}

/* one readiness event; the connection is freed when it ends */
static void on_event(struct worker *w, struct conn *c, uint32_t ev)
{
    if (ev & EPOLLERR) { drop(c); return; }
    if (c->pend) {
        int r = flush_pending(c);
        if (r < 0) { drop(c); return; }
        if (r == 0) return; /* still full: the next EPOLLOUT edge brings us back */
    }
    if (c->closing) { drop(c); return; }
    for (;;) {
        ssize_t n = recv(c->fd, w->in, CHUNK, 0);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN) return;
            drop(c);
            return;
        }
        size_t olen;
        if (n == 0) { /* EOF: an unterminated last line counts as a line */
            c->closing = 1;
            olen = 0;
            if (c->line_len) answer(w, c->line, c->line_len, w->out, &olen);
        } else {
            olen = consume(w, c, w->in, (size_t)n);
        }
        int r = olen ? send_out(c, w->out, olen) : 1;
        if (r < 0 || (r == 1 && c->closing)) { drop(c); return; }
        if (r == 0) return; /* backpressure: read on once the client has taken its replies */
        /* a short read drained the socket, unless the peer's FIN came with this event */
        if ((size_t)n < CHUNK && !(ev & (EPOLLRDHUP | EPOLLHUP))) return;
    }
}

static void on_accept(struct worker *w)
{
    for (;;) {
        int fd = accept4(w->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) continue;
            if (errno == EMFILE || errno == ENFILE) usleep(1000); /* the next edge retries */
            return;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        struct conn *c = calloc(1, sizeof *c);
        if (!c) die("calloc");
        c->fd = fd;
        struct epoll_event e = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, .data.ptr = c};
        if (epoll_ctl(w->ep, EPOLL_CTL_ADD, fd, &e) < 0) drop(c);
    }
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct epoll_event evs[MAX_EVENTS];
    for (;;) {
        int n = epoll_wait(w->ep, evs, MAX_EVENTS, 100);
        for (int i = 0; i < n; i++) {
            if (evs[i].data.ptr == NULL) on_accept(w);
            else on_event(w, evs[i].data.ptr, evs[i].events);
        }
        if (n == 0) on_accept(w); /* after EMFILE the edge may be gone; try again now and then */
    }
    return NULL;
}

static struct worker *make_worker(int port)
{
    struct worker *w = calloc(1, sizeof *w);
    if (!w) die("calloc");
    w->clock_sec = (time_t)-1;
    w->lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (w->lfd < 0) die("socket");
    int one = 1;
    setsockopt(w->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (setsockopt(w->lfd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) < 0) die("SO_REUSEPORT");
    g_addr.sin_port = htons((uint16_t)port);
    if (bind(w->lfd, (struct sockaddr *)&g_addr, sizeof g_addr) < 0) die("bind");
    if (listen(w->lfd, 4096) < 0) die("listen");
    w->ep = epoll_create1(EPOLL_CLOEXEC);
    if (w->ep < 0) die("epoll_create1");
    struct epoll_event e = {.events = EPOLLIN | EPOLLET, .data.ptr = NULL};
    if (epoll_ctl(w->ep, EPOLL_CTL_ADD, w->lfd, &e) < 0) die("epoll_ctl");
    return w;
}

static int parse_int(const char *s, int lo, int hi)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (*s == 0 || *end || v < lo || v > hi) {
        fprintf(stderr, "epoll_server: '%s' is not in %d..%d\n", s, lo, hi);
        exit(2);
    }
    return (int)v;
}

int main(int argc, char **argv)
{
    int port = 45000, threads = (int)sysconf(_SC_NPROCESSORS_ONLN), opt;
    const char *bind_ip = "127.0.0.1";
    while ((opt = getopt(argc, argv, "p:t:b:h")) != -1) {
        switch (opt) {
        case 'p': port = parse_int(optarg, 1, 65535); break;
        case 't': threads = parse_int(optarg, 1, 256); break;
        case 'b': bind_ip = optarg; break;
        default:
            fputs("usage: epoll_server [-p PORT] [-t THREADS] [-b IPV4]\n", stderr);
            return 2;
        }
    }
    if (optind != argc || threads < 1) {
        fputs("usage: epoll_server [-p PORT] [-t THREADS] [-b IPV4]\n", stderr);
        return 2;
    }
    g_addr.sin_family = AF_INET;
    if (inet_pton(AF_INET, bind_ip, &g_addr.sin_addr) != 1) {
        fprintf(stderr, "epoll_server: bad IPv4 address '%s'\n", bind_ip);
        return 2;
    }
    struct rlimit rl; /* one descriptor per connection: take all the hard limit allows */
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    signal(SIGPIPE, SIG_IGN);
    tzset();
    for (int i = 1; i < threads; i++) {
        pthread_t th;
        if (pthread_create(&th, NULL, worker_main, make_worker(port)) != 0) die("pthread_create");
    }
    worker_main(make_worker(port));
    return 0;
}
