// SPDX-License-Identifier: Apache-2.0
// The followers of bench/serve_bench.py's latency run: N WebSocket clients
// on one thread and one epoll set, in C. On a 2-core machine the followers
// share the cores with the server they measure; SwiftNIO clients (100 async
// handlers, serve-latency) took about 0.8 of a core at 10 k records/s, so
// the figure said as much about the clients as about the server. These do
// no more than a follower must: read frames, answer pings, take a sample.
//
// Each follower reads the wall-clock stamp (ns, decimal) that starts the
// value of the first record of every binary frame (layout: Docs/SERVE.md:
// kind, version, 0, count; offset, timestamp, key length -1, value length,
// value) and takes now minus that stamp as the frame's append-to-receipt
// latency. It also counts followers whose connection ended (close frame or
// end of stream) before the run's time was up.
// Usage: serve_followers ws://HOST:PORT/PATH CLIENTS SECONDS
//        (prints one JSON object, the same as serve-latency's)
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

// The server's largest frame (--max-frame-bytes' default, 1 MiB) and room
// for the next frame's header behind it.
enum { MAX_FRAME = (1 << 20) + 64 };

typedef struct {
    int fd;
    unsigned char *buffer;
    size_t used;
    int ended;
} follower;

static double *samples;
static size_t sample_count, sample_capacity;

static int64_t wall_clock_ns(void) {
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    return (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
}

static double monotonic_seconds(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + now.tv_nsec / 1e9;
}

static void fail(const char *what) {
    fprintf(stderr, "serve_followers: %s: %s\n", what, strerror(errno));
    exit(1);
}

static void add_sample(double milliseconds) {
    if (sample_count == sample_capacity) {
        sample_capacity = sample_capacity ? 2 * sample_capacity : 1 << 16;
        samples = realloc(samples, sample_capacity * sizeof *samples);
        if (!samples) fail("realloc");
    }
    samples[sample_count++] = milliseconds;
}

static void write_all(int fd, const void *bytes, size_t length) {
    const char *p = bytes;
    while (length > 0) {
        ssize_t n = write(fd, p, length);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) fail("write");
        p += n;
        length -= (size_t)n;
    }
}

/// Connects and upgrades; leaves in `f->buffer` what followed the response.
static void open_follower(follower *f, const struct sockaddr_in *address, const char *host_port,
                          const char *path) {
    f->fd = socket(AF_INET, SOCK_STREAM, 0);
    if (f->fd < 0) fail("socket");
    if (connect(f->fd, (const struct sockaddr *)address, sizeof *address) != 0) fail("connect");
    int one = 1;
    setsockopt(f->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    char request[1024];
    int length = snprintf(request, sizeof request,
                          "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                          "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
                          path, host_port);
    write_all(f->fd, request, (size_t)length);
    f->buffer = malloc(MAX_FRAME);
    if (!f->buffer) fail("malloc");
    f->used = 0;
    for (;;) {
        ssize_t n = read(f->fd, f->buffer + f->used, MAX_FRAME - f->used);
        if (n <= 0) fail("reading the upgrade response");
        f->used += (size_t)n;
        unsigned char *end = memmem(f->buffer, f->used, "\r\n\r\n", 4);
        if (!end) continue;
        if (memcmp(f->buffer, "HTTP/1.1 101", 12) != 0) {
            fprintf(stderr, "serve_followers: upgrade refused: %.*s\n", (int)(end - f->buffer), f->buffer);
            exit(1);
        }
        size_t header = (size_t)(end + 4 - f->buffer);
        memmove(f->buffer, f->buffer + header, f->used - header);
        f->used -= header;
        return;
    }
}

/// A client frame must be masked (RFC 6455 5.3); a zero mask leaves the payload as it is.
static void send_pong(follower *f, const unsigned char *payload, size_t length) {
    unsigned char frame[2 + 4 + 125];
    frame[0] = 0x8A;
    frame[1] = 0x80 | (unsigned char)length;
    memset(frame + 2, 0, 4);
    memcpy(frame + 6, payload, length);
    write_all(f->fd, frame, 6 + length);
}

static void take_sample(const unsigned char *payload, size_t length, int64_t now) {
    if (length < 33 || payload[0] != 1) return;
    uint32_t value_length = ntohl(*(const uint32_t *)(payload + 28));
    if (value_length == 0 || value_length > length - 32) return;
    int64_t sent = 0;
    for (size_t i = 32; i < 32 + value_length && payload[i] >= '0' && payload[i] <= '9'; i++)
        sent = sent * 10 + (payload[i] - '0');
    if (sent > 0) add_sample((double)(now - sent) / 1e6);
}

/// Handles every whole frame in the buffer; false once the server closed.
static int handle_frames(follower *f, int64_t now) {
    size_t at = 0;
    for (;;) {
        if (f->used - at < 2) break;
        const unsigned char *p = f->buffer + at;
        int opcode = p[0] & 0x0F;
        size_t header = 2;
        uint64_t length = p[1] & 0x7F;
        if (length == 126) {
            if (f->used - at < 4) break;
            length = (uint64_t)p[2] << 8 | p[3];
            header = 4;
        } else if (length == 127) {
            if (f->used - at < 10) break;
            length = 0;
            for (int i = 0; i < 8; i++) length = length << 8 | p[2 + i];
            header = 10;
        }
        if (header + length > MAX_FRAME) {
            fprintf(stderr, "serve_followers: a frame of %llu bytes\n", (unsigned long long)length);
            exit(1);
        }
        if (f->used - at < header + length) break;
        const unsigned char *payload = p + header;
        if (opcode == 0x2) take_sample(payload, (size_t)length, now);
        if (opcode == 0x9 && length <= 125) send_pong(f, payload, (size_t)length);
        if (opcode == 0x8) return 0;
        at += header + (size_t)length;
    }
    memmove(f->buffer, f->buffer + at, f->used - at);
    f->used -= at;
    return 1;
}

static int compare(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double pick(double q) {
    if (sample_count == 0) return 0;
    size_t i = (size_t)(q * (double)sample_count);
    return samples[i < sample_count ? i : sample_count - 1];
}

int main(int argc, char **argv) {
    if (argc != 4 || strncmp(argv[1], "ws://", 5) != 0) {
        fprintf(stderr, "usage: serve_followers ws://HOST:PORT/PATH CLIENTS SECONDS\n");
        return 2;
    }
    char host_port[256];
    const char *path = strchr(argv[1] + 5, '/');
    if (!path || (size_t)(path - argv[1] - 5) >= sizeof host_port) {
        fprintf(stderr, "serve_followers: no path in %s\n", argv[1]);
        return 2;
    }
    memcpy(host_port, argv[1] + 5, (size_t)(path - argv[1] - 5));
    host_port[path - argv[1] - 5] = 0;
    char *colon = strchr(host_port, ':');
    struct sockaddr_in address = {.sin_family = AF_INET};
    if (!colon) {
        fprintf(stderr, "serve_followers: no port in %s\n", argv[1]);
        return 2;
    }
    *colon = 0;
    if (inet_pton(AF_INET, host_port, &address.sin_addr) != 1) {
        fprintf(stderr, "serve_followers: not an IPv4 address: %s\n", host_port);
        return 2;
    }
    address.sin_port = htons((uint16_t)atoi(colon + 1));
    *colon = ':';
    int clients = atoi(argv[2]);
    double seconds = atof(argv[3]);
    if (clients < 1 || seconds <= 0) {
        fprintf(stderr, "serve_followers: CLIENTS and SECONDS must be positive\n");
        return 2;
    }

    follower *followers = calloc((size_t)clients, sizeof *followers);
    int epoll = epoll_create1(0);
    if (!followers || epoll < 0) fail("setup");
    for (int i = 0; i < clients; i++) {
        open_follower(&followers[i], &address, host_port, path);
        struct epoll_event event = {.events = EPOLLIN, .data.ptr = &followers[i]};
        if (epoll_ctl(epoll, EPOLL_CTL_ADD, followers[i].fd, &event) != 0) fail("epoll_ctl");
    }
    int ended_early = 0;
    double deadline = monotonic_seconds() + seconds;
    struct epoll_event events[256];
    for (double now = monotonic_seconds(); now < deadline; now = monotonic_seconds()) {
        int ready = epoll_wait(epoll, events, 256, (int)((deadline - now) * 1000) + 1);
        if (ready < 0 && errno == EINTR) continue;
        if (ready < 0) fail("epoll_wait");
        int64_t received = wall_clock_ns();
        for (int i = 0; i < ready; i++) {
            follower *f = events[i].data.ptr;
            ssize_t n = read(f->fd, f->buffer + f->used, MAX_FRAME - f->used);
            if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
            if (n <= 0 || (f->used += (size_t)n, !handle_frames(f, received))) {
                f->ended = 1;
                ended_early++;
                epoll_ctl(epoll, EPOLL_CTL_DEL, f->fd, NULL);
            }
        }
    }
    qsort(samples, sample_count, sizeof *samples, compare);
    printf("{\"latency_ms_p50\": %.3f, \"latency_ms_p99\": %.3f, \"latency_frames\": %zu, \"ended_early\": %d}\n",
           pick(0.5), pick(0.99), sample_count, ended_early);
    return 0;
}
