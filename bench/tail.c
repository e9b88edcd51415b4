/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tail.c - tail latency: how long a record takes from the writer's flush to
 * a waiting reader, in the writer's process (a reader thread on the same
 * handle) and in another process (this program re-executed as
 * `--tail-reader DIR`, which opens the log read-only).
 *
 * The writer sends 64-byte records at cfg->tail_rate, flushing every
 * cfg->tail_flush_every records; each record carries its CLOCK_MONOTONIC send
 * time (taken just before eventlog_append) and a kind:
 *   DATA  - a measured record;
 *   IDLE  - sending is over: the reader now notes its CPU time;
 *   STOP  - sent cfg->idle_seconds later: the reader reports and ends.
 * The reader waits in eventlog_cursor_next_batch with a timeout, takes the
 * time once per returned batch, and records now - sent for every record, so
 * records that arrive together all count their full wait. Reader CPU is
 * getrusage over the sending phase and over the idle wait.
 */
#include "bench.h"

#include <errno.h>
#include <eventlog.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { KIND_DATA = 0, KIND_IDLE = 1, KIND_STOP = 2 };
#define TAIL_VALUE_BYTES 64
#define TAIL_READ_BATCH 256
#define TAIL_WAIT_MS 100

/* What a reader reports. */
typedef struct tail_result {
    hist latency;           /* ns */
    uint64_t received;
    double active_cpu_pct;  /* reader CPU over the sending phase */
    double idle_cpu_pct;    /* reader CPU while waiting with nothing sent */
    double idle_seconds;
} tail_result;

static double cpu_seconds(int who) {
    struct rusage ru;
    getrusage(who, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           (double)ru.ru_stime.tv_usec / 1e6;
}

/* Reads until STOP; `who` is RUSAGE_THREAD for a thread, RUSAGE_SELF for a process. */
static int read_tail(eventlog_cursor *cur, int who, tail_result *out) {
    eventlog_record recs[TAIL_READ_BATCH];
    hist_init(&out->latency);
    out->received = 0;
    double cpu0 = cpu_seconds(who), wall0 = now_seconds(), idle_cpu0 = 0, idle_wall0 = 0;
    for (;;) {
        size_t count;
        int rc = eventlog_cursor_next_batch(cur, TAIL_WAIT_MS, recs, TAIL_READ_BATCH, &count);
        uint64_t now = now_ns();
        if (rc == EVENTLOG_END) continue;
        if (rc != EVENTLOG_OK) {
            fprintf(stderr, "tail reader: eventlog_cursor_next_batch: %s (%s)\n", eventlog_strerror(rc), eventlog_errmsg());
            return -1;
        }
        for (size_t i = 0; i < count; i++) {
            uint64_t sent;
            uint32_t kind;
            if (recs[i].value_len != TAIL_VALUE_BYTES) continue;
            memcpy(&sent, recs[i].value, 8);
            memcpy(&kind, (const char *)recs[i].value + 8, 4);
            if (kind == KIND_DATA) {
                hist_record(&out->latency, now - sent);
                out->received++;
            } else if (kind == KIND_IDLE) {
                idle_cpu0 = cpu_seconds(who);
                idle_wall0 = now_seconds();
                out->active_cpu_pct = 100.0 * (idle_cpu0 - cpu0) / (idle_wall0 - wall0);
            } else if (kind == KIND_STOP) {
                double wall = now_seconds() - idle_wall0;
                out->idle_cpu_pct = 100.0 * (cpu_seconds(who) - idle_cpu0) / wall;
                out->idle_seconds = wall;
                return 0;
            }
        }
    }
}

/* ------------------------------------------------------------------- writer */

static void send_record(eventlog *log, uint32_t kind, int flush) {
    uint8_t value[TAIL_VALUE_BYTES];
    memset(value, 'v', sizeof value);
    memcpy(value + 8, &kind, 4);
    uint64_t sent = now_ns();
    memcpy(value, &sent, 8);
    eventlog_record r = {.value = value, .value_len = sizeof value};
    int rc = eventlog_append(log, &r, NULL);
    if (rc == EVENTLOG_OK && flush) rc = eventlog_flush(log);
    if (rc != EVENTLOG_OK) die("tail writer: %s (%s)", eventlog_strerror(rc), eventlog_errmsg());
}

void sleep_until_ns(uint64_t when) {
    struct timespec ts = {(time_t)(when / 1000000000u), (long)(when % 1000000000u)};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR) {}
}

/* Sends the DATA records at the configured rate: sleeps until the next one
 * is due, then sends every record due by then (the VM's timer wakes late, so
 * sends come in short bursts at the right average rate). Returns the rate
 * achieved. */
static double send_data(const bench_config *cfg, eventlog *log, double *writer_cpu_pct) {
    double cpu0 = cpu_seconds(RUSAGE_SELF);
    uint64_t interval = (uint64_t)(1e9 / cfg->tail_rate), start = now_ns();
    for (size_t i = 0; i < cfg->tail_records; i++) {
        uint64_t due = start + i * interval;
        if (now_ns() < due) sleep_until_ns(due);
        send_record(log, KIND_DATA, (i + 1) % cfg->tail_flush_every == 0 || i + 1 == cfg->tail_records);
    }
    double seconds = (double)(now_ns() - start) / 1e9;
    *writer_cpu_pct = 100.0 * (cpu_seconds(RUSAGE_SELF) - cpu0) / seconds;
    return (double)cfg->tail_records / seconds;
}

static void finish_phase(const bench_config *cfg, eventlog *log) {
    send_record(log, KIND_IDLE, 1);
    sleep_until_ns(now_ns() + (uint64_t)(cfg->idle_seconds * 1e9));
    send_record(log, KIND_STOP, 1);
}

/* writer_cpu_pct: the writing process's CPU over the sending phase, all its
 * threads (the appending thread and libeventlog's flusher), in % of one core. */
static void record_metrics(const char *mode, const tail_result *r, double rate, double writer_cpu_pct,
                           size_t expected) {
    if (r->received != expected)
        die("tail (%s): the reader received %llu records, %zu were sent", mode, (unsigned long long)r->received,
            expected);
    char key[96];
    static const struct { const char *name; double p; } points[] = {
        {"p50_us", 50}, {"p90_us", 90}, {"p99_us", 99}, {"p999_us", 99.9}, {"max_us", 100}};
    for (size_t i = 0; i < sizeof points / sizeof points[0]; i++) {
        snprintf(key, sizeof key, "eventlog.tail.%s.%s", mode, points[i].name);
        metric_add(key, (double)hist_percentile(&r->latency, points[i].p) / 1e3);
    }
    snprintf(key, sizeof key, "eventlog.tail.%s.reader_cpu_active_pct", mode);
    metric_add(key, r->active_cpu_pct);
    snprintf(key, sizeof key, "eventlog.tail.%s.reader_cpu_idle_pct", mode);
    metric_add(key, r->idle_cpu_pct);
    snprintf(key, sizeof key, "eventlog.tail.%s.rate", mode);
    metric_add(key, rate);
    snprintf(key, sizeof key, "eventlog.tail.%s.writer_cpu_pct", mode);
    metric_add(key, writer_cpu_pct);
    hist_add(tail_hist(mode), &r->latency);
}

static eventlog *open_writer(const char *dir) {
    remove_tree(dir);
    eventlog *log;
    int rc = eventlog_open(dir, NULL, &log);
    if (rc != EVENTLOG_OK) die("eventlog_open %s: %s (%s)", dir, eventlog_strerror(rc), eventlog_errmsg());
    return log;
}

/* ------------------------------------------------------------ same process */

typedef struct thread_reader {
    eventlog_cursor *cur;
    tail_result result;
    int rc;
} thread_reader;

static void *reader_thread(void *arg) {
    thread_reader *t = arg;
    t->rc = read_tail(t->cur, RUSAGE_THREAD, &t->result);
    return NULL;
}

static void tail_same_process(const bench_config *cfg) {
    const char *dir = path_join(cfg->dir, "eventlog-tail-same");
    eventlog *log = open_writer(dir);
    thread_reader *t = calloc(1, sizeof *t);
    int rc = eventlog_cursor_open(log, EVENTLOG_LATEST, &t->cur);
    if (rc != EVENTLOG_OK) die("eventlog_cursor_open: %s", eventlog_errmsg());
    pthread_t id;
    if (pthread_create(&id, NULL, reader_thread, t)) die("pthread_create failed");
    double writer_cpu;
    double rate = send_data(cfg, log, &writer_cpu);
    finish_phase(cfg, log);
    pthread_join(id, NULL);
    if (t->rc) die("tail (same process): the reader failed");
    eventlog_cursor_close(t->cur);
    eventlog_close(log);
    /* The process's CPU includes the reader thread's. */
    record_metrics("same", &t->result, rate, writer_cpu - t->result.active_cpu_pct, cfg->tail_records);
    free(t);
    remove_tree(dir);
}

/* ----------------------------------------------------------- other process */

static int read_full(int fd, void *buf, size_t len) {
    for (size_t done = 0; done < len;) {
        ssize_t n = read(fd, (char *)buf + done, len - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return -1;
        done += (size_t)n;
    }
    return 0;
}

static int write_full(int fd, const void *buf, size_t len) {
    for (size_t done = 0; done < len;) {
        ssize_t n = write(fd, (const char *)buf + done, len - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return -1;
        done += (size_t)n;
    }
    return 0;
}

/* bench --tail-reader DIR: reports a tail_result on stdout, after a 'R'
 * once its cursor waits at the end of the log. */
int tail_reader_main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s --tail-reader DIR\n", argv[0]);
        return 2;
    }
    eventlog_options opts = EVENTLOG_OPTIONS_INIT;
    opts.flags = EVENTLOG_OPEN_READONLY;
    eventlog *log;
    eventlog_cursor *cur;
    int rc = eventlog_open(argv[2], &opts, &log);
    if (rc == EVENTLOG_OK) rc = eventlog_cursor_open(log, EVENTLOG_LATEST, &cur);
    if (rc != EVENTLOG_OK) {
        fprintf(stderr, "tail reader: %s (%s)\n", eventlog_strerror(rc), eventlog_errmsg());
        return 1;
    }
    if (write_full(1, "R", 1)) return 1;
    tail_result *r = calloc(1, sizeof *r);
    if (read_tail(cur, RUSAGE_SELF, r)) {
        free(r);
        return 1;
    }
    eventlog_cursor_close(cur);
    eventlog_close(log);
    int failed = write_full(1, r, sizeof *r);
    free(r);
    return failed ? 1 : 0;
}

static void tail_other_process(const bench_config *cfg) {
    const char *dir = path_join(cfg->dir, "eventlog-tail-cross");
    char dir_copy[4096];
    snprintf(dir_copy, sizeof dir_copy, "%s", dir);
    eventlog *log = open_writer(dir_copy);
    int pipefd[2];
    if (pipe(pipefd)) die("pipe failed");
    pid_t pid = fork();
    if (pid < 0) die("fork failed");
    if (pid == 0) {
        dup2(pipefd[1], 1);
        close(pipefd[0]);
        close(pipefd[1]);
        execl(cfg->self, cfg->self, "--tail-reader", dir_copy, (char *)NULL);
        _exit(127);
    }
    close(pipefd[1]);
    char ready;
    if (read_full(pipefd[0], &ready, 1) || ready != 'R') die("tail reader did not start");
    double writer_cpu;
    double rate = send_data(cfg, log, &writer_cpu);
    finish_phase(cfg, log);
    tail_result *r = calloc(1, sizeof *r);
    if (read_full(pipefd[0], r, sizeof *r)) die("tail reader failed");
    close(pipefd[0]);
    int status;
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) die("tail reader exited with status %d", status);
    eventlog_close(log);
    record_metrics("cross", r, rate, writer_cpu, cfg->tail_records);
    free(r);
    remove_tree(dir_copy);
}

void run_tail_latency(const bench_config *cfg) {
    /* The default 50 us timer slack would put every sleep of the writer
     * behind schedule. */
    prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
    run_wakeup_ceiling(cfg);
    note("eventlog: tail latency, same process (%zu records at %.0f/s, flush every %zu)", cfg->tail_records,
         cfg->tail_rate, cfg->tail_flush_every);
    tail_same_process(cfg);
    note("eventlog: tail latency, another process");
    tail_other_process(cfg);
}
