/* SPDX-License-Identifier: Apache-2.0 */
/* demo.c - a tour of libeventlog that is also a test: every step checks what
 * it reads back, and the program exits non-zero on any mismatch.
 *
 *   demo DIR [N]      DIR must be new or empty; N events (default 10000)
 *
 * The events are JSON-like user actions keyed "user-<n>"; every tenth
 * carries two headers, one with a null value. Event i has offset first + i
 * and timestamp t0 + i ms, so every step can tell exactly what it expects.
 * The steps, in the order main() runs them (see `steps` below):
 *   produce    the first half with append_batch, the rest one by one with
 *              append, then flush
 *   replay     everything from EVENTLOG_OLDEST with next_batch
 *   resume     a consumer that lost its connection half way reconnects at
 *              the offset it had reached
 *   seek-time  the first event at or after a point in time
 *   follow     tail the log with a timeout while a second thread appends
 *   compact    compact the closed segments while the log stays open: only
 *              the latest event per user is kept there, offsets unchanged
 */
#define _POSIX_C_SOURCE 200809L

#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <eventlog.h>

enum {
    USERS = 100,          /* distinct keys */
    BATCH = 250,          /* records per append_batch call */
    READ_CAPACITY = 256,  /* records per next_batch call */
    FOLLOW_EVENTS = 50,   /* events appended while the log is tailed */
    FOLLOW_TIMEOUT_MS = 2000,
    SEGMENT_BYTES = 64 * 1024, /* small, so the demo's log has closed segments to compact */
};

struct demo {
    const char *dir;
    eventlog *log;
    uint64_t to_produce; /* N, from the command line */
    uint64_t count;      /* events written so far */
    uint64_t first; /* offset of event 0 */
    int64_t t0;     /* timestamp of event 0, ms since the epoch */
};

/* One event with the buffers its record points into. */
struct event {
    char key[32];
    char value[160];
    eventlog_header headers[2];
    eventlog_record rec;
};

static const char *const actions[] = {"login", "view", "add_to_cart", "checkout"};

/* ------------------------------------------------------------ helpers */

static int64_t wall_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static double mono_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int fail(const char *call, int rc) {
    fprintf(stderr, "demo: %s: %s: %s\n", call, eventlog_strerror(rc), eventlog_errmsg());
    return -1;
}

static int mismatch(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fputs("demo: MISMATCH: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return -1;
}

static void make_event(struct event *e, const struct demo *d, uint64_t i) {
    unsigned user = (unsigned)(i % USERS);
    int key_len = snprintf(e->key, sizeof e->key, "user-%u", user);
    int value_len = snprintf(e->value, sizeof e->value,
                             "{\"seq\":%" PRIu64 ",\"user\":\"user-%u\",\"action\":\"%s\","
                             "\"amount_cents\":%" PRIu64 "}",
                             i, user, actions[i % 4], (i * 37) % 10000);
    e->headers[0] = (eventlog_header){.key = "source", .key_len = 6, .value = "demo.c", .value_len = 6};
    e->headers[1] = (eventlog_header){.key = "trace-id", .key_len = 8, .value = NULL, .value_len = 0};
    e->rec = (eventlog_record){
        .timestamp = d->t0 + (int64_t)i,
        .key = e->key,
        .key_len = (size_t)key_len,
        .value = e->value,
        .value_len = (size_t)value_len,
        .headers = i % 10 == 0 ? e->headers : NULL,
        .header_count = i % 10 == 0 ? 2 : 0,
    };
}

static int same_bytes(const void *a, size_t a_len, const void *b, size_t b_len) {
    if (a == NULL || b == NULL) return a == b && a_len == b_len;
    return a_len == b_len && memcmp(a, b, a_len) == 0;
}

/* Compares a record read back with event i as it was appended. */
static int check_event(const struct demo *d, uint64_t i, const eventlog_record *got) {
    struct event want;
    make_event(&want, d, i);
    if (got->offset != d->first + i)
        return mismatch("event %" PRIu64 ": offset %" PRIu64 ", expected %" PRIu64, i,
                        got->offset, d->first + i);
    if (got->timestamp != want.rec.timestamp)
        return mismatch("offset %" PRIu64 ": timestamp %" PRId64 ", expected %" PRId64,
                        got->offset, got->timestamp, want.rec.timestamp);
    if (!same_bytes(got->key, got->key_len, want.rec.key, want.rec.key_len) ||
        !same_bytes(got->value, got->value_len, want.rec.value, want.rec.value_len))
        return mismatch("offset %" PRIu64 ": key or value differs from what was appended (%.*s)",
                        got->offset, (int)want.rec.value_len, want.value);
    if (got->header_count != want.rec.header_count)
        return mismatch("offset %" PRIu64 ": %zu headers, expected %zu", got->offset,
                        got->header_count, want.rec.header_count);
    for (size_t h = 0; h < got->header_count; h++) {
        const eventlog_header *g = &got->headers[h], *w = &want.headers[h];
        if (!same_bytes(g->key, g->key_len, w->key, w->key_len) ||
            !same_bytes(g->value, g->value_len, w->value, w->value_len))
            return mismatch("offset %" PRIu64 ": header %zu differs (expected %.*s)", got->offset,
                            h, (int)w->key_len, w->key);
    }
    return 0;
}

/* -------------------------------------------------------------- steps */

static int produce(struct demo *d) {
    const uint64_t total = d->to_produce, half = total / 2;
    struct event *events = calloc(BATCH, sizeof *events);
    eventlog_record *recs = calloc(BATCH, sizeof *recs);
    unsigned batch_calls = 0;
    int status = 0;
    double start = mono_ms();

    if (events == NULL || recs == NULL) {
        status = mismatch("out of memory");
        goto out;
    }
    /* append_batch gives one call's records consecutive offsets, even while
     * other threads append. */
    for (uint64_t i = 0; i < half && status == 0; i += BATCH) {
        size_t n = half - i < BATCH ? (size_t)(half - i) : BATCH;
        uint64_t first;
        for (size_t j = 0; j < n; j++) {
            make_event(&events[j], d, i + j);
            recs[j] = events[j].rec;
        }
        int rc = eventlog_append_batch(d->log, recs, n, &first);
        if (rc != EVENTLOG_OK) {
            status = fail("eventlog_append_batch", rc);
        } else {
            if (i == 0) d->first = first;
            if (first != d->first + i)
                status = mismatch("append_batch at event %" PRIu64 " got offset %" PRIu64
                                  ", expected %" PRIu64, i, first, d->first + i);
            d->count += n;
            batch_calls++;
        }
    }
    for (uint64_t i = half; i < total && status == 0; i++) {
        uint64_t offset;
        make_event(&events[0], d, i);
        int rc = eventlog_append(d->log, &events[0].rec, &offset);
        if (rc != EVENTLOG_OK) {
            status = fail("eventlog_append", rc);
        } else {
            if (offset != d->first + i)
                status = mismatch("append of event %" PRIu64 " got offset %" PRIu64
                                  ", expected %" PRIu64, i, offset, d->first + i);
            d->count++;
        }
    }
    /* Records wait in the producer batch until it is full, has lingered, or
     * is flushed; only written batches are visible to cursors. */
    if (status == 0) {
        int rc = eventlog_flush(d->log);
        if (rc != EVENTLOG_OK) status = fail("eventlog_flush", rc);
    }
    if (status == 0 && eventlog_end_offset(d->log) != d->first + total)
        status = mismatch("end offset %" PRIu64 " after %" PRIu64 " events, expected %" PRIu64,
                          eventlog_end_offset(d->log), total, d->first + total);
    if (status == 0) {
        double ms = mono_ms() - start;
        printf("produce    %" PRIu64 " events: %" PRIu64 " in %u append_batch calls, %" PRIu64
               " by append, then flush: %.1f ms (%.0f events/s)\n",
               total, half, batch_calls, total - half, ms, total / (ms / 1e3));
    }
out:
    free(events);
    free(recs);
    return status;
}

static int replay(struct demo *d) {
    eventlog_record out[READ_CAPACITY];
    eventlog_cursor *cur;
    uint64_t seen = 0;
    unsigned calls = 0;
    int rc, status = 0;
    double start = mono_ms();

    if ((rc = eventlog_cursor_open(d->log, EVENTLOG_OLDEST, &cur)) != EVENTLOG_OK)
        return fail("eventlog_cursor_open(EVENTLOG_OLDEST)", rc);
    while (status == 0) {
        size_t count;
        /* timeout 0: everything was flushed, so END means we are done. */
        rc = eventlog_cursor_next_batch(cur, 0, out, READ_CAPACITY, &count);
        if (rc == EVENTLOG_END) break;
        if (rc != EVENTLOG_OK) {
            status = fail("eventlog_cursor_next_batch", rc);
            break;
        }
        calls++;
        for (size_t j = 0; j < count && status == 0; j++)
            status = check_event(d, seen++, &out[j]);
    }
    eventlog_cursor_close(cur);
    if (status == 0 && seen != d->count)
        status = mismatch("replay read %" PRIu64 " events, expected %" PRIu64, seen, d->count);
    if (status == 0) {
        double ms = mono_ms() - start;
        printf("replay     %" PRIu64 " events from EVENTLOG_OLDEST in %u next_batch calls: "
               "%.1f ms (%.0f events/s), all exactly as appended\n",
               seen, calls, ms, seen / (ms / 1e3));
    }
    return status;
}

/* A consumer reads one record at a time and remembers how far it got; its
 * connection drops half way, and it reconnects where it stopped. */
static int resume(struct demo *d) {
    eventlog_cursor *cur;
    eventlog_record rec;
    const uint64_t lost_after = d->count / 2;
    uint64_t reached, seen = 0;
    int rc, status = 0;

    if ((rc = eventlog_cursor_open(d->log, d->first, &cur)) != EVENTLOG_OK)
        return fail("eventlog_cursor_open", rc);
    while (seen < lost_after && status == 0) {
        rc = eventlog_cursor_next(cur, 0, &rec);
        if (rc != EVENTLOG_OK)
            status = fail("eventlog_cursor_next", rc);
        else
            status = check_event(d, seen++, &rec);
    }
    reached = eventlog_cursor_offset(cur);
    eventlog_cursor_close(cur); /* the connection is lost */
    if (status != 0) return status;
    if (reached != d->first + lost_after)
        return mismatch("cursor offset %" PRIu64 " after %" PRIu64 " events, expected %" PRIu64,
                        reached, lost_after, d->first + lost_after);

    double start = mono_ms();
    if ((rc = eventlog_cursor_open(d->log, reached, &cur)) != EVENTLOG_OK)
        return fail("eventlog_cursor_open(reached)", rc);
    while (status == 0 && (rc = eventlog_cursor_next(cur, 0, &rec)) == EVENTLOG_OK)
        status = check_event(d, seen++, &rec); /* no gap, no duplicate */
    if (status == 0 && rc != EVENTLOG_END) status = fail("eventlog_cursor_next", rc);
    eventlog_cursor_close(cur);
    if (status == 0 && seen != d->count)
        status = mismatch("read %" PRIu64 " events in all, expected %" PRIu64, seen, d->count);
    if (status == 0)
        printf("resume     a consumer lost its cursor at offset %" PRIu64 ", reopened one there "
               "and read the other %" PRIu64 " events: %.1f ms, no gap, no duplicate\n",
               reached, d->count - lost_after, mono_ms() - start);
    return status;
}

static int seek_time(struct demo *d) {
    eventlog_cursor *cur;
    eventlog_record rec;
    const uint64_t target = d->count * 3 / 4;
    uint64_t found = 0;
    int rc, status = 0;

    if ((rc = eventlog_cursor_open(d->log, EVENTLOG_OLDEST, &cur)) != EVENTLOG_OK)
        return fail("eventlog_cursor_open", rc);
    double start = mono_ms();
    if ((rc = eventlog_cursor_seek_time(cur, d->t0 + (int64_t)target)) != EVENTLOG_OK)
        status = fail("eventlog_cursor_seek_time", rc);
    else if ((rc = eventlog_cursor_next(cur, 0, &rec)) != EVENTLOG_OK)
        status = fail("eventlog_cursor_next", rc);
    else if ((status = check_event(d, target, &rec)) == 0)
        found = rec.offset;
    double ms = mono_ms() - start;

    /* A time after the last event positions at the end: nothing to read. */
    if (status == 0) {
        if ((rc = eventlog_cursor_seek_time(cur, d->t0 + (int64_t)d->count + 60000)) != EVENTLOG_OK)
            status = fail("eventlog_cursor_seek_time(after the last event)", rc);
        else if ((rc = eventlog_cursor_next(cur, 0, &rec)) != EVENTLOG_END)
            status = mismatch("after seeking past the last timestamp, next returned %d (%s), "
                              "expected EVENTLOG_END", rc, eventlog_strerror(rc));
    }
    eventlog_cursor_close(cur);
    if (status == 0)
        printf("seek-time  first event at or after t0+%" PRIu64 " ms is offset %" PRIu64
               " (found in %.3f ms); a time after the last event gives EVENTLOG_END\n",
               target, found, ms);
    return status;
}

struct follow {
    struct demo *d;
    double sent_ms[FOLLOW_EVENTS]; /* set before each append; read once seen */
    int status;                    /* the appender's own; read after join */
};

/* The second thread: appends one event every 2 ms and flushes each, so it is
 * visible at once. */
static void *append_slowly(void *arg) {
    struct follow *f = arg;
    const struct timespec pause = {.tv_nsec = 2 * 1000 * 1000};
    struct event e;
    for (int k = 0; k < FOLLOW_EVENTS && f->status == 0; k++) {
        nanosleep(&pause, NULL);
        make_event(&e, f->d, f->d->count + (uint64_t)k);
        f->sent_ms[k] = mono_ms();
        int rc = eventlog_append(f->d->log, &e.rec, NULL);
        if (rc == EVENTLOG_OK) rc = eventlog_flush(f->d->log);
        if (rc != EVENTLOG_OK) f->status = fail("eventlog_append (second thread)", rc);
    }
    return NULL;
}

static int compare_ms(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int follow(struct demo *d) {
    struct follow f = {.d = d};
    double latency_ms[FOLLOW_EVENTS];
    eventlog_cursor *cur;
    eventlog_record rec;
    pthread_t appender;
    int rc, status = 0, got = 0;

    /* EVENTLOG_LATEST: only records written from now on. */
    if ((rc = eventlog_cursor_open(d->log, EVENTLOG_LATEST, &cur)) != EVENTLOG_OK)
        return fail("eventlog_cursor_open(EVENTLOG_LATEST)", rc);
    if (pthread_create(&appender, NULL, append_slowly, &f) != 0) {
        eventlog_cursor_close(cur);
        return mismatch("pthread_create failed");
    }
    while (got < FOLLOW_EVENTS && status == 0) {
        rc = eventlog_cursor_next(cur, FOLLOW_TIMEOUT_MS, &rec);
        if (rc == EVENTLOG_END) {
            status = mismatch("no new event within %d ms after %d of %d", FOLLOW_TIMEOUT_MS, got,
                              FOLLOW_EVENTS);
        } else if (rc != EVENTLOG_OK) {
            status = fail("eventlog_cursor_next", rc);
        } else {
            latency_ms[got] = mono_ms() - f.sent_ms[got];
            status = check_event(d, d->count + (uint64_t)got, &rec);
            got++;
        }
    }
    pthread_join(appender, NULL); /* it stops by itself after FOLLOW_EVENTS */
    if (status == 0) status = f.status;

    /* Caught up: the next call waits its full timeout and reports END. */
    double start = mono_ms(), waited = 0;
    if (status == 0) {
        rc = eventlog_cursor_next(cur, 100, &rec);
        waited = mono_ms() - start;
        if (rc != EVENTLOG_END)
            status = mismatch("next after the last event returned %d (%s), expected EVENTLOG_END",
                              rc, eventlog_strerror(rc));
    }
    eventlog_cursor_close(cur);
    if (status != 0) return status;
    d->count += FOLLOW_EVENTS;

    qsort(latency_ms, FOLLOW_EVENTS, sizeof latency_ms[0], compare_ms);
    printf("follow     a second thread appended %d events; the tailing cursor saw each after "
           "p50 %.3f ms, max %.3f ms (append to next), then waited %.0f ms for EVENTLOG_END\n",
           FOLLOW_EVENTS, latency_ms[FOLLOW_EVENTS / 2], latency_ms[FOLLOW_EVENTS - 1], waited);
    return 0;
}

/* Compaction keeps the latest record per key in the closed segments (the
 * active one is never rewritten); offsets never change, so the gaps it
 * leaves are simply skipped by cursors. It runs while the log is open. */
static int compact(struct demo *d) {
    eventlog_compact_stats stats = EVENTLOG_COMPACT_STATS_INIT;
    double start = mono_ms();
    int rc = eventlog_compact(d->dir, NULL, &stats);
    if (rc != EVENTLOG_OK) return fail("eventlog_compact", rc);
    double ms = mono_ms() - start;

    /* Read everything back: each record is exactly the event at its offset,
     * offsets increase, and every user's latest event is still there. */
    eventlog_record out[READ_CAPACITY];
    eventlog_cursor *cur;
    uint64_t latest_seen[USERS] = {0}, kept = 0, previous = 0;
    int status = 0;
    if ((rc = eventlog_cursor_open(d->log, EVENTLOG_OLDEST, &cur)) != EVENTLOG_OK)
        return fail("eventlog_cursor_open", rc);
    while (status == 0) {
        size_t count;
        rc = eventlog_cursor_next_batch(cur, 0, out, READ_CAPACITY, &count);
        if (rc == EVENTLOG_END) break;
        if (rc != EVENTLOG_OK) {
            status = fail("eventlog_cursor_next_batch", rc);
            break;
        }
        for (size_t j = 0; j < count && status == 0; j++) {
            uint64_t i = out[j].offset - d->first;
            if (kept > 0 && out[j].offset <= previous)
                status = mismatch("offset %" PRIu64 " after %" PRIu64, out[j].offset, previous);
            else if ((status = check_event(d, i, &out[j])) == 0)
                latest_seen[i % USERS] = i + 1;
            previous = out[j].offset;
            kept++;
        }
    }
    eventlog_cursor_close(cur);
    for (unsigned u = 0; u < USERS && status == 0; u++) {
        uint64_t latest = d->count - 1 - ((d->count - 1 - u) % USERS); /* last event of user u */
        if (u < d->count && latest_seen[u] != latest + 1)
            status = mismatch("user-%u: latest event %" PRIu64 " missing after compaction", u, latest);
    }
    if (status == 0 && stats.records_after > stats.records_before)
        status = mismatch("compaction grew the closed segments");
    if (status == 0)
        printf("compact    closed segments %" PRIu64 " -> %" PRIu64 " records, %" PRIu64 " -> %" PRIu64
               " bytes in %.1f ms; %" PRIu64 " of %" PRIu64 " events left, every user's latest intact\n",
               stats.records_before, stats.records_after, stats.bytes_before, stats.bytes_after, ms, kept,
               d->count);
    return status;
}

/* --------------------------------------------------------------- main */

/* Run in this order; each step prints one line, or says what went wrong and
 * returns -1. */
static const struct step {
    const char *name;
    int (*run)(struct demo *);
} steps[] = {
    {"produce", produce},
    {"replay", replay},
    {"resume", resume},
    {"seek-time", seek_time},
    {"follow", follow},
    {"compact", compact},
};

static const char usage[] = "usage: demo DIR [N]   (DIR new or empty; N events, default 10000)\n";

int main(int argc, char **argv) {
    if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        fputs(usage, stdout); /* asked for: stdout and status 0; a mistake: stderr and 2 */
        return 0;
    }
    if (argc < 2 || argc > 3 || argv[1][0] == '-') {
        fputs(usage, stderr);
        return 2;
    }
    const char *dir = argv[1];
    char *end = NULL;
    unsigned long long n = argc == 3 ? strtoull(argv[2], &end, 10) : 10000;
    if ((end != NULL && *end != '\0') || n < 4 || n > 100000000) {
        fprintf(stderr, "demo: N must be a number from 4 to 100000000\n");
        return 2;
    }

    printf("libeventlog %s, log in %s\n", eventlog_version(), dir);
    struct demo d = {.dir = dir, .to_produce = n, .t0 = wall_ms() - (int64_t)n - FOLLOW_EVENTS};
    eventlog_options opts = EVENTLOG_OPTIONS_INIT;
    opts.segment_bytes = SEGMENT_BYTES;
    int rc = eventlog_open(dir, &opts, &d.log);
    if (rc != EVENTLOG_OK) {
        fail("eventlog_open", rc);
        return 1;
    }
    if (eventlog_end_offset(d.log) != 0) {
        fprintf(stderr, "demo: %s already holds a log; give the demo a new directory\n", dir);
        eventlog_close(d.log);
        return 2;
    }

    int status = 0;
    for (size_t s = 0; s < sizeof steps / sizeof steps[0] && status == 0; s++)
        if (steps[s].run(&d) != 0) {
            fprintf(stderr, "demo: step %s failed\n", steps[s].name);
            status = 1;
        }
    if ((rc = eventlog_close(d.log)) != EVENTLOG_OK) {
        fail("eventlog_close", rc);
        status = 1;
    }
    if (status == 0) printf("demo: all steps passed, %" PRIu64 " events in %s\n", d.count, dir);
    return status;
}
