// Load generator for NDJSON JSON-RPC over a unix socket, compiled by bench/lib/loadgen.js.
// With a last argument of "http" it speaks JSON-RPC over HTTP/1.1 instead: each request a
// keep-alive POST / with the same JSON body, pipelined DEPTH deep, each reply's body read by
// its Content-Length and matched by id the same way; a status other than 200 is an error.
//
// load mode:  loadgen PATH CONNS DEPTH WARMUP_S DURATION_S [http]
//   Every connection keeps DEPTH echo requests outstanding. A request's id
//   names its slot (id % (CONNS*DEPTH)), so a reply is matched to exactly one
//   outstanding request without a hash table; anything else is an error.
//   Prints one JSON line: rps, latency percentiles, errors, and its own CPU use
//   and run-queue wait as fractions of the window (both low: not the bottleneck).
// idle mode:  loadgen PATH CONNS 0 0 0
//   Opens CONNS connections, sends one request on each, waits for every reply,
//   prints {"ready":...} and holds the connections until stdin closes.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define INBUF 65536
// latency histogram: 100 ns steps to 10 ms, then 10 us steps to 10 s
#define FINE_NS 100
#define FINE_N 100000
#define COARSE_NS 10000
#define COARSE_N 1000000

typedef struct {
  int fd;
  size_t inlen;
  char in[INBUF];
  char *out;
  size_t outlen, outcap;
  int want_out;
} conn_t;

static int nconns, depth, nslots, http;
static conn_t *conns;
static uint64_t *slot_id, *slot_sent;
static char *slot_busy;
static int epfd;
static int recording, sending = 1;
static uint64_t replies, errors, outstanding;
static uint32_t *fine, *coarse;
static uint64_t overflow;

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void die(const char *what) {
  perror(what);
  exit(2);
}

static void record(uint64_t ns) {
  if (ns < (uint64_t)FINE_NS * FINE_N) fine[ns / FINE_NS]++;
  else if (ns < (uint64_t)COARSE_NS * COARSE_N) coarse[ns / COARSE_NS]++;
  else overflow++;
}

static double percentile_us(uint64_t count, double p) {
  uint64_t rank = (uint64_t)(p * (double)count);
  if (rank >= count) rank = count - 1;
  uint64_t seen = 0;
  for (int i = 0; i < FINE_N; i++) {
    seen += fine[i];
    if (seen > rank) return (i + 0.5) * FINE_NS / 1000.0;
  }
  for (int i = 0; i < COARSE_N; i++) {
    seen += coarse[i];
    if (seen > rank) return (i + 0.5) * COARSE_NS / 1000.0;
  }
  return (double)COARSE_NS * COARSE_N / 1000.0;
}

static void out_reserve(conn_t *c, size_t more) {
  if (c->outlen + more <= c->outcap) return;
  while (c->outlen + more > c->outcap) c->outcap = c->outcap ? c->outcap * 2 : 4096;
  c->out = realloc(c->out, c->outcap);
  if (!c->out) die("realloc");
}

static void queue_request(conn_t *c, int slot) {
  static const char head[] = "{\"jsonrpc\":\"2.0\",\"id\":";
  static const char tail[] = ",\"method\":\"echo\",\"params\":{\"x\":1,\"s\":\"hello\"}}\n";
  char digits[24];
  int n = 0;
  uint64_t id = slot_id[slot];
  do { digits[n++] = (char)('0' + id % 10); id /= 10; } while (id);
  out_reserve(c, sizeof head + n + sizeof tail + 128);
  if (http) {
    // the body is the line without its newline
    c->outlen += (size_t)sprintf(c->out + c->outlen,
      "POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n",
      (int)(sizeof head - 1 + n + sizeof tail - 2));
  }
  memcpy(c->out + c->outlen, head, sizeof head - 1);
  c->outlen += sizeof head - 1;
  while (n) c->out[c->outlen++] = digits[--n];
  memcpy(c->out + c->outlen, tail, sizeof tail - 1);
  c->outlen += sizeof tail - 1 - (http ? 1 : 0);
  slot_busy[slot] = 1;
  slot_sent[slot] = now_ns();
  outstanding++;
}

static void set_out_interest(conn_t *c, int want) {
  if (c->want_out == want) return;
  struct epoll_event ev = { .events = EPOLLIN | (want ? EPOLLOUT : 0), .data.u32 = (uint32_t)(c - conns) };
  if (epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev) < 0) die("epoll_ctl");
  c->want_out = want;
}

static void flush_out(conn_t *c) {
  size_t off = 0;
  while (off < c->outlen) {
    ssize_t w = write(c->fd, c->out + off, c->outlen - off);
    if (w > 0) { off += (size_t)w; continue; }
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    errors++;  // the server closed on us: its outstanding requests count as missing later
    off = c->outlen;
  }
  memmove(c->out, c->out + off, c->outlen - off);
  c->outlen -= off;
  set_out_interest(c, c->outlen > 0);
}

static int64_t parse_id(const char *line, size_t len) {
  const char *p = memmem(line, len, "\"id\"", 4);
  if (!p) return -1;
  const char *end = line + len;
  p += 4;
  while (p < end && (*p == ' ' || *p == ':')) p++;
  if (p >= end || *p < '0' || *p > '9') return -1;
  int64_t v = 0;
  while (p < end && *p >= '0' && *p <= '9') v = v * 10 + (*p++ - '0');
  return v;
}

static void on_line(conn_t *c, const char *line, size_t len, uint64_t t) {
  int ci = (int)(c - conns);
  int64_t id = parse_id(line, len);
  int slot = id < 0 ? -1 : (int)(id % nslots);
  if (slot < 0 || slot / depth != ci || !slot_busy[slot] || slot_id[slot] != (uint64_t)id) {
    errors++;
    return;
  }
  slot_busy[slot] = 0;
  outstanding--;
  if (memmem(line, len, "\"error\"", 7)) errors++;
  else if (recording) {
    replies++;
    record(t - slot_sent[slot]);
  }
  if (sending) {
    slot_id[slot] += (uint64_t)nslots;
    queue_request(c, slot);
  }
}

// Content-Length of a header block, case-insensitively; -1 if absent
static long content_length(const char *h, size_t len) {
  static const char name[] = "content-length:";
  for (size_t i = 0; i + sizeof name - 1 <= len; i++) {
    if (strncasecmp(h + i, name, sizeof name - 1) != 0) continue;
    const char *p = h + i + sizeof name - 1, *end = h + len;
    while (p < end && *p == ' ') p++;
    long v = 0;
    while (p < end && *p >= '0' && *p <= '9') v = v * 10 + (*p++ - '0');
    return v;
  }
  return -1;
}

// Complete HTTP responses in c->in, each body handed to on_line; returns the bytes consumed.
static size_t on_http(conn_t *c, uint64_t t) {
  size_t start = 0;
  for (;;) {
    char *hend = memmem(c->in + start, c->inlen - start, "\r\n\r\n", 4);
    if (!hend) return start;
    size_t hlen = (size_t)(hend - (c->in + start)) + 4;
    long blen = content_length(c->in + start, hlen);
    if (blen < 0) blen = 0;
    if (start + hlen + (size_t)blen > c->inlen) return start;
    if (strncmp(c->in + start, "HTTP/1.1 200 ", 13) != 0) errors++;
    on_line(c, c->in + start + hlen, (size_t)blen, t);
    start += hlen + (size_t)blen;
  }
}

static void on_readable(conn_t *c) {
  ssize_t r = read(c->fd, c->in + c->inlen, INBUF - c->inlen);
  if (r < 0 && (errno == EAGAIN || errno == EINTR)) return;
  if (r <= 0) {
    epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    c->fd = -1;
    errors++;
    return;
  }
  uint64_t t = now_ns();
  c->inlen += (size_t)r;
  size_t start = 0;
  char *nl;
  if (http) start = on_http(c, t);
  else while ((nl = memchr(c->in + start, '\n', c->inlen - start)) != NULL) {
    size_t end = (size_t)(nl - c->in);
    on_line(c, c->in + start, end - start, t);
    start = end + 1;
  }
  if (start == 0 && c->inlen == INBUF) {  // a reply longer than the buffer: drop it
    errors++;
    c->inlen = 0;
  } else {
    memmove(c->in, c->in + start, c->inlen - start);
    c->inlen -= start;
  }
  if (c->outlen > 0 && c->fd >= 0) flush_out(c);
}

static void open_conn(const char *path, int i) {
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  strncpy(addr.sun_path, path, sizeof addr.sun_path - 1);
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  if (fd < 0) die("socket");
  // a blocking connect waits for room in the listen backlog instead of failing with EAGAIN
  if (connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0) die("connect");
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  conns[i].fd = fd;
  struct epoll_event ev = { .events = EPOLLIN, .data.u32 = (uint32_t)i };
  if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0) die("epoll_ctl");
}

static void poll_once(int timeout_ms) {
  struct epoll_event evs[256];
  int n = epoll_wait(epfd, evs, 256, timeout_ms);
  if (n < 0 && errno != EINTR) die("epoll_wait");
  for (int i = 0; i < n; i++) {
    conn_t *c = &conns[evs[i].data.u32];
    if (c->fd < 0) continue;
    if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) on_readable(c);
    if (c->fd >= 0 && (evs[i].events & EPOLLOUT)) flush_out(c);
  }
}

static double cpu_s(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

// ns runnable but waiting for a CPU: how much other load held the generator back
static double runqueue_wait_s(void) {
  unsigned long long run = 0, wait = 0;
  FILE *f = fopen("/proc/self/schedstat", "r");
  if (f) {
    if (fscanf(f, "%llu %llu", &run, &wait) != 2) wait = 0;
    fclose(f);
  }
  return wait / 1e9;
}

static int run_idle(const char *path) {
  uint64_t t0 = now_ns();
  sending = 0;  // one request per connection, then silence
  for (int i = 0; i < nconns; i++) {
    open_conn(path, i);
    queue_request(&conns[i], i);
    flush_out(&conns[i]);
    poll_once(0);
  }
  while (outstanding > 0 && now_ns() - t0 < 60000000000ull) poll_once(10);
  printf("{\"ready\":true,\"connections\":%d,\"errors\":%llu,\"ms\":%.1f}\n", nconns,
         (unsigned long long)(errors + outstanding), (now_ns() - t0) / 1e6);
  fflush(stdout);
  char buf[64];
  while (read(0, buf, sizeof buf) > 0) {}
  return 0;
}

int main(int argc, char **argv) {
  if (argc != 6 && !(argc == 7 && strcmp(argv[6], "http") == 0)) {
    fprintf(stderr, "usage: loadgen PATH CONNS DEPTH WARMUP_S DURATION_S [http] (DEPTH 0: idle mode)\n");
    return 2;
  }
  http = argc == 7;
  const char *path = argv[1];
  nconns = atoi(argv[2]);
  depth = atoi(argv[3]);
  double warmup = atof(argv[4]), duration = atof(argv[5]);
  int idle = depth == 0;
  if (idle) depth = 1;
  nslots = nconns * depth;
  conns = calloc((size_t)nconns, sizeof *conns);
  slot_id = calloc((size_t)nslots, sizeof *slot_id);
  slot_sent = calloc((size_t)nslots, sizeof *slot_sent);
  slot_busy = calloc((size_t)nslots, 1);
  fine = calloc(FINE_N, sizeof *fine);
  coarse = calloc(COARSE_N, sizeof *coarse);
  if (!conns || !slot_id || !slot_sent || !slot_busy || !fine || !coarse) die("calloc");
  for (int s = 0; s < nslots; s++) slot_id[s] = (uint64_t)s;
  epfd = epoll_create1(0);
  if (epfd < 0) die("epoll_create1");
  if (idle) return run_idle(path);

  for (int i = 0; i < nconns; i++) open_conn(path, i);
  for (int i = 0; i < nconns; i++) {
    for (int d = 0; d < depth; d++) queue_request(&conns[i], i * depth + d);
    flush_out(&conns[i]);
  }
  uint64_t t_start = now_ns();
  uint64_t t_measure = t_start + (uint64_t)(warmup * 1e9);
  uint64_t t_end = t_measure + (uint64_t)(duration * 1e9);
  while (now_ns() < t_measure) poll_once(5);
  recording = 1;
  double cpu0 = cpu_s(), wait0 = runqueue_wait_s();
  uint64_t m0 = now_ns();
  while (now_ns() < t_end) poll_once(5);
  recording = 0;
  sending = 0;
  uint64_t m1 = now_ns();
  double cpu1 = cpu_s(), wait1 = runqueue_wait_s();
  // every request still out must be answered: what is not, within 5 s, is missing
  while (outstanding > 0 && now_ns() - m1 < 5000000000ull) poll_once(10);
  double secs = (m1 - m0) / 1e9;
  printf("{\"conns\":%d,\"depth\":%d,\"seconds\":%.3f,\"replies\":%llu,\"rps\":%.0f,"
         "\"p50_us\":%.1f,\"p99_us\":%.1f,\"errors\":%llu,\"missing\":%llu,\"cpu\":%.3f,\"wait\":%.3f}\n",
         nconns, depth, secs, (unsigned long long)replies, replies / secs,
         replies ? percentile_us(replies, 0.50) : 0, replies ? percentile_us(replies, 0.99) : 0,
         (unsigned long long)(errors + outstanding), (unsigned long long)outstanding,
         (cpu1 - cpu0) / secs, (wait1 - wait0) / secs);
  return 0;
}
