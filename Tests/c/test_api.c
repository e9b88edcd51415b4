/* SPDX-License-Identifier: Apache-2.0 */
/* test_api.c - the C API as a C user meets it, one test per behaviour that
 * include/eventlog.h promises. Each check prints the call, the code it
 * returned and eventlog_errmsg() when it fails; the run ends with
 * "N passed, N failed". Each test runs in a process of its own, so a crash
 * or a hang (60 s) fails that test only. Logs go to a fresh directory under
 * $TMPDIR (or /tmp), removed when every test passed, kept otherwise.
 *
 *   test_api [TEST...]     run the named tests, or all
 */
#define _XOPEN_SOURCE 700

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <eventlog.h>

extern char **environ;

/* ------------------------------------------------------------ harness */

static const char *current_test = "";
static int failed_checks; /* in the current test */
static char root[1024];

#define CHECK(cond) check((cond), #cond, __LINE__)
#define CHECK_RC(call, want) check_rc((call), (want), #call, #want, __LINE__)

static int check(int ok, const char *expr, int line) {
    if (!ok) {
        fprintf(stderr, "  test_api.c:%d: %s: failed: %s\n", line, current_test, expr);
        failed_checks++;
    }
    return ok;
}

static const char *code_name(int rc) {
    static const char *const names[] = {
        "EVENTLOG_OK",       "EVENTLOG_END",      "EVENTLOG_EINVAL",   "EVENTLOG_EIO",
        "EVENTLOG_ECORRUPT", "EVENTLOG_EBUSY",    "EVENTLOG_ERANGE",   "EVENTLOG_ETIMEDOUT",
        "EVENTLOG_EREADONLY", "EVENTLOG_ETOOBIG", "EVENTLOG_ENOSPC",   "EVENTLOG_EVERSION",
        "EVENTLOG_ENOMEM",   "EVENTLOG_ECLOSED",  "EVENTLOG_ENOENT",   "EVENTLOG_EACCES",
    };
    if (rc == EVENTLOG_OK || rc == EVENTLOG_END) return names[rc];
    if (rc < 0 && -rc <= 14) return names[1 - rc];
    return "an unknown code";
}

static int check_rc(int got, int want, const char *call, const char *want_name, int line) {
    if (got == want) return 1;
    fprintf(stderr, "  test_api.c:%d: %s: %s returned %s (%d), expected %s\n    eventlog_errmsg: %s\n",
            line, current_test, call, code_name(got), got, want_name, eventlog_errmsg());
    failed_checks++;
    return 0;
}

/* True if `word` occurs in `text` as a whole identifier, so that "log" is
 * found in "log is NULL" but not in "eventlog_flush". */
static int mentions(const char *text, const char *word) {
    size_t n = strlen(word);
    for (const char *p = strstr(text, word); p != NULL; p = strstr(p + 1, word)) {
        int before = p > text && (p[-1] == '_' || (p[-1] >= '0' && p[-1] <= '9') ||
                                  ((p[-1] | 32) >= 'a' && (p[-1] | 32) <= 'z'));
        char c = p[n];
        int after = c == '_' || (c >= '0' && c <= '9') || ((c | 32) >= 'a' && (c | 32) <= 'z');
        if (!before && !after) return 1;
    }
    return 0;
}

/* A failed call must name the argument at fault in eventlog_errmsg(). */
#define CHECK_EINVAL_NAMING(call, arg) check_einval_naming((call), #call, arg, __LINE__)

static void check_einval_naming(int got, const char *call, const char *arg, int line) {
    if (!check_rc(got, EVENTLOG_EINVAL, call, "EVENTLOG_EINVAL", line)) return;
    const char *msg = eventlog_errmsg();
    if (!mentions(msg, arg) && !(strcmp(arg, "cur") == 0 && mentions(msg, "cursor"))) {
        fprintf(stderr, "  test_api.c:%d: %s: %s: eventlog_errmsg \"%s\" does not name `%s`\n",
                line, current_test, call, msg, arg);
        failed_checks++;
    }
}

static void on_alarm(int sig) {
    (void)sig;
    static const char msg[] = "test_api: a test hung for 60 s: ";
    ssize_t ignored = write(2, msg, sizeof msg - 1);
    ignored = write(2, current_test, strlen(current_test));
    ignored = write(2, "\n", 1);
    (void)ignored;
    _exit(1);
}

/* A directory path inside this run's root; not created. */
static const char *path_for(const char *name) {
    static char paths[8][PATH_MAX];
    static int next;
    char *p = paths[next++ % 8];
    snprintf(p, PATH_MAX, "%s/%s", root, name);
    return p;
}

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

static void sleep_ms(int ms) {
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

/* ---------------------------------------------------------- log helpers */

static eventlog *open_log(const char *dir, const eventlog_options *opts) {
    eventlog *log = NULL;
    CHECK_RC(eventlog_open(dir, opts, &log), EVENTLOG_OK);
    return log;
}

static eventlog *open_readonly(const char *dir) {
    eventlog_options opts = EVENTLOG_OPTIONS_INIT;
    opts.flags = EVENTLOG_OPEN_READONLY;
    return open_log(dir, &opts);
}

/* A record from C strings; NULL stays NULL (no key, tombstone). */
static eventlog_record kv(const char *key, const char *value) {
    return (eventlog_record){
        .key = key,
        .key_len = key ? strlen(key) : 0,
        .value = value,
        .value_len = value ? strlen(value) : 0,
    };
}

static uint64_t append_kv(eventlog *log, const char *key, const char *value) {
    eventlog_record rec = kv(key, value);
    uint64_t offset = UINT64_MAX;
    CHECK_RC(eventlog_append(log, &rec, &offset), EVENTLOG_OK);
    return offset;
}

/* Appends values "r0".."r<n-1>" with keys "k0".., then flushes. */
static void append_numbered(eventlog *log, int n) {
    char key[16], value[16];
    for (int i = 0; i < n; i++) {
        snprintf(key, sizeof key, "k%d", i);
        snprintf(value, sizeof value, "r%d", i);
        append_kv(log, key, value);
    }
    CHECK_RC(eventlog_flush(log), EVENTLOG_OK);
}

/* Equal bytes, with NULL (no key, tombstone, null header value) distinct
 * from empty. */
static int same_bytes(const void *a, size_t a_len, const void *b, size_t b_len) {
    if (a == NULL || b == NULL) return a == b && a_len == b_len;
    return a_len == b_len && (a_len == 0 || memcmp(a, b, a_len) == 0);
}

#define CHECK_REC(got, off, key, key_len, value, value_len) \
    check_rec((got), (off), (key), (key_len), (value), (value_len), __LINE__)

static int check_rec(const eventlog_record *got, uint64_t offset, const void *key, size_t key_len,
                     const void *value, size_t value_len, int line) {
    const char *problem = NULL;
    if (got->offset != offset)
        problem = "offset";
    else if (!same_bytes(got->key, got->key_len, key, key_len))
        problem = "key";
    else if (!same_bytes(got->value, got->value_len, value, value_len))
        problem = "value";
    if (problem == NULL) return 1;
    fprintf(stderr,
            "  test_api.c:%d: %s: record at offset %" PRIu64 " (expected %" PRIu64 "): wrong %s "
            "(key %s%zu bytes, value %s%zu bytes)\n",
            line, current_test, got->offset, offset, problem, got->key ? "" : "NULL, ",
            got->key_len, got->value ? "" : "NULL, ", got->value_len);
    failed_checks++;
    return 0;
}

/* Reads the next record, expecting it to be value "r<i>" at offset i, as
 * written by append_numbered. */
static void expect_numbered(eventlog_cursor *cur, uint64_t i) {
    eventlog_record rec;
    char value[24];
    snprintf(value, sizeof value, "r%" PRIu64, i);
    if (CHECK_RC(eventlog_cursor_next(cur, 0, &rec), EVENTLOG_OK))
        CHECK_REC(&rec, i, rec.key, rec.key_len, value, strlen(value));
}

static void expect_end(eventlog_cursor *cur) {
    eventlog_record rec;
    CHECK_RC(eventlog_cursor_next(cur, 0, &rec), EVENTLOG_END);
}

/* --------------------------------------------------------------- tests */

static void test_version(void) {
    const char *v = eventlog_version();
    char expected[32];
    if (!CHECK(v != NULL)) return;
    CHECK(strspn(v, "0123456789.") == strlen(v));
    snprintf(expected, sizeof expected, "%d.%d.%d", EVENTLOG_VERSION_MAJOR, EVENTLOG_VERSION_MINOR,
             EVENTLOG_VERSION_PATCH);
    if (!CHECK(strcmp(v, expected) == 0))
        fprintf(stderr, "    the library says %s, the header %s\n", v, expected);
}

static void test_strerror(void) {
    static const int codes[] = {
        EVENTLOG_OK,        EVENTLOG_END,     EVENTLOG_EINVAL,    EVENTLOG_EIO,
        EVENTLOG_ECORRUPT,  EVENTLOG_EBUSY,   EVENTLOG_ERANGE,    EVENTLOG_ETIMEDOUT,
        EVENTLOG_EREADONLY, EVENTLOG_ETOOBIG, EVENTLOG_ENOSPC,    EVENTLOG_EVERSION,
        EVENTLOG_ENOMEM,    EVENTLOG_ECLOSED, EVENTLOG_ENOENT,    EVENTLOG_EACCES,
    };
    enum { N = sizeof codes / sizeof codes[0] };
    const char *text[N];
    for (int i = 0; i < N; i++) {
        text[i] = eventlog_strerror(codes[i]);
        if (!CHECK(text[i] != NULL && text[i][0] != '\0'))
            fprintf(stderr, "    no text for %s\n", code_name(codes[i]));
    }
    for (int i = 0; i < N; i++)
        for (int j = i + 1; j < N; j++)
            if (text[i] && text[j] && !CHECK(strcmp(text[i], text[j]) != 0))
                fprintf(stderr, "    %s and %s share the text \"%s\"\n", code_name(codes[i]),
                        code_name(codes[j]), text[i]);
    static const int unknown[] = {2, 42, -15, -999, INT_MIN, INT_MAX};
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
        const char *s = eventlog_strerror(unknown[i]);
        CHECK(s != NULL && s[0] != '\0');
    }
}

static void test_options_init(void) {
    eventlog_options opts;
    memset(&opts, 0xA5, sizeof opts);
    eventlog_options_init(&opts);
    CHECK(opts.version == EVENTLOG_OPTIONS_VERSION);
    CHECK(opts.flags == 0);
    CHECK(opts.segment_bytes == 0);
    CHECK(opts.batch_max_bytes == 0);
    CHECK(opts.linger_us == 0);
    CHECK(opts.compression == EVENTLOG_COMPRESSION_DEFAULT);
    CHECK(opts.sync_mode == EVENTLOG_SYNC_DEFAULT);
    CHECK(opts.sync_interval_ms == 0);
    CHECK(opts.retention_bytes == 0);
    CHECK(opts.retention_ms == 0);
    CHECK(opts.file_mode == 0);

    eventlog_options macro = EVENTLOG_OPTIONS_INIT;
    CHECK(macro.version == opts.version && macro.segment_bytes == 0 && macro.file_mode == 0);
    eventlog_compact_options compact = EVENTLOG_COMPACT_OPTIONS_INIT;
    CHECK(compact.version == EVENTLOG_COMPACT_OPTIONS_VERSION && compact.delete_retention_ms == 0);

    /* The initialised struct is accepted as is. */
    eventlog *log = open_log(path_for("options-init"), &opts);
    CHECK_RC(eventlog_close(log), EVENTLOG_OK);
}

static void test_open_creates_directory(void) {
    const char *dir = path_for("created-by-open");
    struct stat st;
    CHECK(stat(dir, &st) != 0 && errno == ENOENT);
    eventlog *log = open_log(dir, NULL);
    if (!CHECK(log != NULL)) return;
    CHECK(stat(dir, &st) == 0 && S_ISDIR(st.st_mode));
    /* A new log starts at offset 0. */
    CHECK(eventlog_start_offset(log) == 0);
    CHECK(eventlog_end_offset(log) == 0);
    CHECK_RC(eventlog_close(log), EVENTLOG_OK);
}

static void test_append_read_back_exact(void) {
    static const char binary_key[] = {0, 'k', 0};
    static unsigned char big[1000];
    for (size_t i = 0; i < sizeof big; i++) big[i] = (unsigned char)(i * 7);
    const eventlog_header headers[] = {
        {.key = "h1", .key_len = 2, .value = "x", .value_len = 1},
        {.key = "null-value", .key_len = 10, .value = NULL, .value_len = 0},
        {.key = "", .key_len = 0, .value = "", .value_len = 0},
        {.key = "bin", .key_len = 3, .value = "\0\1\2", .value_len = 3},
    };
    const int64_t ts = INT64_C(1700000000000);
    eventlog_record recs[6] = {
        kv("k0", "v0"),
        kv(NULL, "no key"),
        kv("gone", NULL),           /* a tombstone */
        kv("", ""),                 /* empty, which is not the same as NULL */
        kv("with-headers", "h"),
        {.key = binary_key, .key_len = sizeof binary_key, .value = big, .value_len = sizeof big},
    };
    recs[0].timestamp = ts;
    recs[1].timestamp = ts + 1;
    recs[2].timestamp = ts + 2;
    recs[3].timestamp = ts + 3;
    recs[4].timestamp = 0; /* "now" */
    recs[4].headers = headers;
    recs[4].header_count = 4;
    recs[5].timestamp = ts - 5; /* timestamps need not increase */

    /* A long linger: nothing is written before the flush. */
    eventlog_options opts = EVENTLOG_OPTIONS_INIT;
    opts.linger_us = 60u * 1000 * 1000;
    eventlog *log = open_log(path_for("exact"), &opts);
    eventlog_cursor *cur = NULL;
    if (!CHECK(log != NULL)) return;
    CHECK_RC(eventlog_cursor_open(log, EVENTLOG_OLDEST, &cur), EVENTLOG_OK);

    int64_t before = 0, after = 0;
    for (int i = 0; i < 6; i++) {
        uint64_t offset = UINT64_MAX;
        if (i == 4) before = wall_ms();
        CHECK_RC(eventlog_append(log, &recs[i], &offset), EVENTLOG_OK);
        if (i == 4) after = wall_ms();
        CHECK(offset == (uint64_t)i);
    }
    CHECK(eventlog_end_offset(log) == 6); /* counts records not yet written */
    expect_end(cur);                      /* ... which cursors cannot see yet */
    CHECK_RC(eventlog_flush(log), EVENTLOG_OK);
    CHECK_RC(eventlog_sync(log), EVENTLOG_OK);

    eventlog_record got;
    for (int i = 0; i < 6; i++) {
        if (!CHECK_RC(eventlog_cursor_next(cur, 0, &got), EVENTLOG_OK)) break;
        CHECK_REC(&got, (uint64_t)i, recs[i].key, recs[i].key_len, recs[i].value, recs[i].value_len);
        if (i == 4) {
            CHECK(got.timestamp >= before && got.timestamp <= after);
            if (!CHECK(got.header_count == 4)) continue;
            for (int h = 0; h < 4; h++) {
                const eventlog_header *g = &got.headers[h], *w = &headers[h];
                if (!CHECK(g->key != NULL && same_bytes(g->key, g->key_len, w->key, w->key_len) &&
                           same_bytes(g->value, g->value_len, w->value, w->value_len)))
                    fprintf(stderr, "    header %d differs\n", h);
            }
        } else {
            CHECK(got.timestamp == recs[i].timestamp);
            CHECK(got.header_count == 0);
        }
    }
    expect_end(cur);
    CHECK(eventlog_cursor_offset(cur) == 6);
    eventlog_cursor_close(cur);
    CHECK_RC(eventlog_close(log), EVENTLOG_OK);
}

enum { THREADS = 4, ROUNDS = 10, PER_BATCH = 100 };

struct batch_writer {
    eventlog *log;
    int id;
    int rc;
    uint64_t first[ROUNDS];
};

static void *write_batches(void *arg) {
    struct batch_writer *w = arg;
    char values[PER_BATCH][32];
    eventlog_record recs[PER_BATCH];
    for (int r = 0; r < ROUNDS && w->rc == EVENTLOG_OK; r++) {
        for (int i = 0; i < PER_BATCH; i++) {
            snprintf(values[i], sizeof values[i], "t%d-r%d-i%d", w->id, r, i);
            recs[i] = kv("batch", values[i]);
        }
        w->rc = eventlog_append_batch(w->log, recs, PER_BATCH, &w->first[r]);
    }
    return NULL;
}

static void test_append_batch_threads(void) {
    eventlog *log = open_log(path_for("batch-threads"), NULL);
    struct batch_writer writers[THREADS];
    pthread_t threads[THREADS];
    if (!CHECK(log != NULL)) return;
    for (int t = 0; t < THREADS; t++) {
        writers[t] = (struct batch_writer){.log = log, .id = t};
        CHECK(pthread_create(&threads[t], NULL, write_batches, &writers[t]) == 0);
    }
    for (int t = 0; t < THREADS; t++) pthread_join(threads[t], NULL);
    for (int t = 0; t < THREADS; t++) CHECK_RC(writers[t].rc, EVENTLOG_OK);
    CHECK_RC(eventlog_flush(log), EVENTLOG_OK);

    enum { TOTAL = THREADS * ROUNDS * PER_BATCH, BATCHES = THREADS * ROUNDS };
    CHECK(eventlog_end_offset(log) == TOTAL);
    /* The batches tile offsets 0..TOTAL-1: each starts at a multiple of
     * PER_BATCH, and each slot is taken once. */
    int owner[BATCHES][2];
    memset(owner, 0xff, sizeof owner);
    for (int t = 0; t < THREADS; t++)
        for (int r = 0; r < ROUNDS; r++) {
            uint64_t first = writers[t].first[r];
            if (!CHECK(first % PER_BATCH == 0 && first < TOTAL && owner[first / PER_BATCH][0] < 0)) {
                fprintf(stderr, "    thread %d round %d: batch at offset %" PRIu64 "\n", t, r, first);
                continue;
            }
            owner[first / PER_BATCH][0] = t;
            owner[first / PER_BATCH][1] = r;
        }

    eventlog_cursor *cur;
    eventlog_record rec;
    char value[32];
    uint64_t seen = 0;
    if (!CHECK_RC(eventlog_cursor_open(log, 0, &cur), EVENTLOG_OK)) return;
    while (eventlog_cursor_next(cur, 0, &rec) == EVENTLOG_OK) {
        int slot = (int)(rec.offset / PER_BATCH);
        if (rec.offset >= TOTAL || owner[slot][0] < 0) break;
        snprintf(value, sizeof value, "t%d-r%d-i%d", owner[slot][0], owner[slot][1],
                 (int)(rec.offset % PER_BATCH));
        if (!CHECK_REC(&rec, seen, "batch", 5, value, strlen(value))) break;
        seen++;
    }
    CHECK(seen == TOTAL);
    eventlog_cursor_close(cur);
    CHECK_RC(eventlog_close(log), EVENTLOG_OK);
}

static void test_seek(void) {
    eventlog *log = open_log(path_for("seek"), NULL);
    eventlog_cursor *cur, *at_7, *latest;
    if (!CHECK(log != NULL)) return;
    append_numbered(log, 10);
    if (!CHECK_RC(eventlog_cursor_open(log, EVENTLOG_OLDEST, &cur), EVENTLOG_OK)) return;
    CHECK(eventlog_cursor_offset(cur) == 0);
    expect_numbered(cur, 0);

    CHECK_RC(eventlog_cursor_seek(cur, 5), EVENTLOG_OK);
    CHECK(eventlog_cursor_offset(cur) == 5);
    expect_numbered(cur, 5);
    CHECK(eventlog_cursor_offset(cur) == 6);

    CHECK_RC(eventlog_cursor_seek(cur, EVENTLOG_LATEST), EVENTLOG_OK);
    CHECK(eventlog_cursor_offset(cur) == 10);
    expect_end(cur);

    CHECK_RC(eventlog_cursor_seek(cur, EVENTLOG_OLDEST), EVENTLOG_OK);
    expect_numbered(cur, 0);
    CHECK_RC(eventlog_cursor_seek(cur, 9), EVENTLOG_OK);
    expect_numbered(cur, 9);
    expect_end(cur);

    /* At or past the end: OK, and nothing to read. */
    CHECK_RC(eventlog_cursor_seek(cur, 10), EVENTLOG_OK);
    expect_end(cur);
    CHECK_RC(eventlog_cursor_seek(cur, 1000), EVENTLOG_OK);
    expect_end(cur);
    /* Back again after reaching the end. */
    CHECK_RC(eventlog_cursor_seek(cur, 3), EVENTLOG_OK);
    expect_numbered(cur, 3);
    eventlog_cursor_close(cur);

    /* cursor_open positions as seek does. */
    if (CHECK_RC(eventlog_cursor_open(log, 7, &at_7), EVENTLOG_OK)) {
        expect_numbered(at_7, 7);
        eventlog_cursor_close(at_7);
    }
    /* A cursor opened at LATEST sees only what is written afterwards. */
    if (CHECK_RC(eventlog_cursor_open(log, EVENTLOG_LATEST, &latest), EVENTLOG_OK)) {
        expect_end(latest);
        append_kv(log, "k10", "r10");
        CHECK_RC(eventlog_flush(log), EVENTLOG_OK);
        expect_numbered(latest, 10);
        eventlog_cursor_close(latest);
    }
    CHECK_RC(eventlog_close(log), EVENTLOG_OK);

    /* On a fresh log nothing lies before the start: offset 0 is fine. */
    log = open_log(path_for("seek-fresh"), NULL);
    if (!CHECK(log != NULL)) return;
    CHECK(eventlog_start_offset(log) == 0);
    if (CHECK_RC(eventlog_cursor_open(log, 0, &cur), EVENTLOG_OK)) {
        CHECK_RC(eventlog_cursor_seek(cur, 0), EVENTLOG_OK);
        CHECK_RC(eventlog_cursor_seek(cur, EVENTLOG_OLDEST), EVENTLOG_OK);
        expect_end(cur);
        eventlog_cursor_close(cur);
    }
    CHECK_RC(eventlog_close(log), EVENTLOG_OK);
}

static void test_seek_time(void) {
    /* Timestamps need not increase; seek_time finds the first record in
     * offset order whose timestamp is >= the time sought. Two batches. */
    static const int64_t ts[] = {1000, 3000, 2000, 4000, 4000, 5000};
    static const struct {
        int64_t time;
        int offset; /* -1: at the end */
    } cases[] = {{0, 0},    {1000, 0}, {1001, 1}, {1500, 1}, {2500, 1}, {3000, 1},
                 {3500, 3}, {4000, 3}, {4001, 5}, {5000, 5}, {5001, -1}, {INT64_MAX, -1}};
    eventlog *log = open_log(path_for("seek-time"), NULL);
    eventlog_cursor *cur;
    if (!CHECK(log != NULL)) return;
    for (int i = 0; i < 6; i++) {
        char value[8];
        snprintf(value, sizeof value, "r%d", i);
        eventlog_record rec = kv("k", value);
        rec.timestamp = ts[i];
        CHECK_RC(eventlog_append(log, &rec, NULL), EVENTLOG_OK);
        if (i == 2) CHECK_RC(eventlog_flush(log), EVENTLOG_OK);
    }
    CHECK_RC(eventlog_flush(log), EVENTLOG_OK);
    if (!CHECK_RC(eventlog_cursor_open(log, EVENTLOG_OLDEST, &cur), EVENTLOG_OK)) return;
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        if (!CHECK_RC(eventlog_cursor_seek_time(cur, cases[c].time), EVENTLOG_OK)) continue;
        eventlog_record rec;
        int rc = eventlog_cursor_next(cur, 0, &rec);
        int got = rc == EVENTLOG_OK ? (int)rec.offset : rc == EVENTLOG_END ? -1 : -2;
        if (!CHECK(got == cases[c].offset))
            fprintf(stderr, "    seek_time(%" PRId64 "): next gave %s offset %d, expected %d\n",
                    cases[c].time, code_name(rc), got, cases[c].offset);
    }
    eventlog_cursor_close(cur);
    CHECK_RC(eventlog_close(log), EVENTLOG_OK);
}

static void test_next_batch(void) {
    eventlog *log = open_log(path_for("next-batch"), NULL);
    eventlog_cursor *cur;
    eventlog_record out[4];
    size_t count = 99;
    if (!CHECK(log != NULL)) return;
    append_numbered(log, 10);
    if (!CHECK_RC(eventlog_cursor_open(log, 0, &cur), EVENTLOG_OK)) return;

    CHECK_EINVAL_NAMING(eventlog_cursor_next_batch(cur, 0, out, 0, &count), "capacity");
    CHECK(count == 0);

    /* Ten records are there: the first call fills all four slots, and all
     * four stay valid together. */
    uint64_t next = 0;
    if (CHECK_RC(eventlog_cursor_next_batch(cur, 0, out, 4, &count), EVENTLOG_OK) &&
        CHECK(count == 4)) {
        for (size_t i = 0; i < count; i++) {
            char value[8];
            snprintf(value, sizeof value, "r%" PRIu64, next);
            CHECK_REC(&out[i], next, out[i].key, out[i].key_len, value, strlen(value));
            next++;
        }
    }
    /* The rest, in as many calls as it takes, each within capacity. */
    while (next < 10) {
        count = 99;
        if (!CHECK_RC(eventlog_cursor_next_batch(cur, 0, out, 4, &count), EVENTLOG_OK)) break;
        if (!CHECK(count >= 1 && count <= 4)) break;
        for (size_t i = 0; i < count; i++, next++) {
            char value[8];
            snprintf(value, sizeof value, "r%" PRIu64, next);
            CHECK_REC(&out[i], next, out[i].key, out[i].key_len, value, strlen(value));
        }
    }
    count = 99;
    CHECK_RC(eventlog_cursor_next_batch(cur, 0, out, 4, &count), EVENTLOG_END);
    CHECK(count == 0);
    eventlog_cursor_close(cur);
    CHECK_RC(eventlog_close(log), EVENTLOG_OK);
}

/* One next_batch call across two batches, records with and without headers
 * mixed: every record has its own headers, a record without any has
 * headers == NULL, and all stay valid together. */
static void test_next_batch_headers(void) {
    const eventlog_header first[] = {
        {.key = "a", .key_len = 1, .value = "1", .value_len = 1},
        {.key = "b", .key_len = 1, .value = NULL, .value_len = 0},
    };
    const eventlog_header second[] = {{.key = "c", .key_len = 1, .value = "33", .value_len = 2}};
    eventlog_record recs[5] = {kv("k0", "v0"), kv("k1", "v1"), kv("k2", "v2"), kv("k3", "v3"), kv("k4", "v4")};
    recs[1].headers = first;
    recs[1].header_count = 2;
    recs[3].headers = second;
    recs[3].header_count = 1;
    eventlog *log = open_log(path_for("next-batch-headers"), NULL);
    eventlog_cursor *cur;
    if (!CHECK(log != NULL)) return;
    CHECK_RC(eventlog_append_batch(log, recs, 3, NULL), EVENTLOG_OK);
    CHECK_RC(eventlog_flush(log), EVENTLOG_OK);
    CHECK_RC(eventlog_append_batch(log, recs + 3, 2, NULL), EVENTLOG_OK);
    CHECK_RC(eventlog_flush(log), EVENTLOG_OK);
    if (!CHECK_RC(eventlog_cursor_open(log, 0, &cur), EVENTLOG_OK)) return;

    eventlog_record out[8];
    size_t count = 0;
    if (CHECK_RC(eventlog_cursor_next_batch(cur, 0, out, 8, &count), EVENTLOG_OK) && CHECK(count == 5)) {
        for (size_t i = 0; i < count; i++) {
            CHECK_REC(&out[i], i, recs[i].key, recs[i].key_len, recs[i].value, recs[i].value_len);
            CHECK(out[i].header_count == recs[i].header_count);
            CHECK((out[i].headers == NULL) == (recs[i].header_count == 0));
            for (size_t h = 0; h < out[i].header_count && out[i].headers; h++) {
                const eventlog_header *g = &out[i].headers[h], *w = &recs[i].headers[h];
                CHECK(same_bytes(g->key, g->key_len, w->key, w->key_len) &&
                      same_bytes(g->value, g->value_len, w->value, w->value_len));
            }
        }
    }
    eventlog_cursor_close(cur);
    CHECK_RC(eventlog_close(log), EVENTLOG_OK);
}

struct delayed_append {
    eventlog *log;
    int delay_ms;
    int rc;
};

static void *append_later(void *arg) {
    struct delayed_append *a = arg;
    sleep_ms(a->delay_ms);
    eventlog_record rec = kv("late", "arrived");
    a->rc = eventlog_append(a->log, &rec, NULL);
    if (a->rc == EVENTLOG_OK) a->rc = eventlog_flush(a->log);
    return NULL;
}

static void test_timeouts(void) {
    eventlog *log = open_log(path_for("timeouts"), NULL);
    eventlog_cursor *cur;
    eventlog_record rec, out[2];
    size_t count = 99;
    double start, waited;
    if (!CHECK(log != NULL)) return;
    if (!CHECK_RC(eventlog_cursor_open(log, EVENTLOG_OLDEST, &cur), EVENTLOG_OK)) return;

    start = mono_ms();
    CHECK_RC(eventlog_cursor_next(cur, 0, &rec), EVENTLOG_END);
    waited = mono_ms() - start;
    if (!CHECK(waited < 50)) fprintf(stderr, "    timeout 0 took %.1f ms\n", waited);

    start = mono_ms();
    CHECK_RC(eventlog_cursor_next(cur, 50, &rec), EVENTLOG_END);
    waited = mono_ms() - start;
    if (!CHECK(waited >= 49 && waited < 2000)) fprintf(stderr, "    timeout 50 took %.1f ms\n", waited);

    start = mono_ms();
    CHECK_RC(eventlog_cursor_next_batch(cur, 50, out, 2, &count), EVENTLOG_END);
    waited = mono_ms() - start;
    CHECK(count == 0);
    if (!CHECK(waited >= 49 && waited < 2000)) fprintf(stderr, "    timeout 50 took %.1f ms\n", waited);

    /* A waiting cursor wakes as soon as a record is written... */
    struct delayed_append a = {.log = log, .delay_ms = 50};
    pthread_t thread;
    CHECK(pthread_create(&thread, NULL, append_later, &a) == 0);
    start = mono_ms();
    if (CHECK_RC(eventlog_cursor_next(cur, 10000, &rec), EVENTLOG_OK))
        CHECK_REC(&rec, 0, "late", 4, "arrived", 7);
    waited = mono_ms() - start;
    if (!CHECK(waited < 5000)) fprintf(stderr, "    woke after %.1f ms\n", waited);
    pthread_join(thread, NULL);
    CHECK_RC(a.rc, EVENTLOG_OK);

    /* ... and -1 waits as long as it takes. */
    a.delay_ms = 100;
    CHECK(pthread_create(&thread, NULL, append_later, &a) == 0);
    start = mono_ms();
    if (CHECK_RC(eventlog_cursor_next(cur, -1, &rec), EVENTLOG_OK))
        CHECK_REC(&rec, 1, "late", 4, "arrived", 7);
    waited = mono_ms() - start;
    if (!CHECK(waited >= 90)) fprintf(stderr, "    returned after %.1f ms\n", waited);
    pthread_join(thread, NULL);
    CHECK_RC(a.rc, EVENTLOG_OK);

    eventlog_cursor_close(cur);
    CHECK_RC(eventlog_close(log), EVENTLOG_OK);
}

static void test_reopen(void) {
    const char *dir = path_for("reopen");
    eventlog *log = open_log(dir, NULL);
    eventlog_cursor *cur;
    if (!CHECK(log != NULL)) return;
    /* Not flushed: close writes them. */
    append_kv(log, "k0", "r0");
    append_kv(log, "k1", "r1");
    append_kv(log, "k2", "r2");
    CHECK_RC(eventlog_close(log), EVENTLOG_OK);

    log = open_log(dir, NULL);
    if (!CHECK(log != NULL)) return;
    CHECK(eventlog_start_offset(log) == 0);
    CHECK(eventlog_end_offset(log) == 3);
    CHECK(append_kv(log, "k3", "r3") == 3);
    CHECK_RC(eventlog_flush(log), EVENTLOG_OK);
    if (CHECK_RC(eventlog_cursor_open(log, EVENTLOG_OLDEST, &cur), EVENTLOG_OK)) {
        for (uint64_t i = 0; i < 4; i++) expect_numbered(cur, i);
        expect_end(cur);
        eventlog_cursor_close(cur);
    }
    CHECK_RC(eventlog_close(log), EVENTLOG_OK);

    log = open_readonly(dir);
    if (!CHECK(log != NULL)) return;
    CHECK(eventlog_end_offset(log) == 4);
    CHECK_RC(eventlog_close(log), EVENTLOG_OK);
}

/* Run as `test_api --try-open DIR` by test_writer_lock: another process
 * tries to open the log its parent holds. */
static int try_open_child(const char *dir) {
    eventlog *log = NULL;
    char pid[32];
    int rc = eventlog_open(dir, NULL, &log);
    snprintf(pid, sizeof pid, "%ld", (long)getppid());
    if (rc == EVENTLOG_EBUSY && log == NULL && strstr(eventlog_errmsg(), pid) != NULL) return 0;
    fprintf(stderr, "    other process: eventlog_open returned %s, log %s, errmsg \"%s\" "
            "(expected EVENTLOG_EBUSY naming pid %s)\n",
            code_name(rc), log ? "set" : "NULL", eventlog_errmsg(), pid);
    eventlog_close(log);
    return 1;
}

static void test_writer_lock(void) {
    const char *dir = path_for("writer-lock");
    eventlog *log = open_log(dir, NULL), *second = (eventlog *)&second, *reader;
    char pid[32];
    if (!CHECK(log != NULL)) return;

    snprintf(pid, sizeof pid, "%ld", (long)getpid());
    CHECK_RC(eventlog_open(dir, NULL, &second), EVENTLOG_EBUSY);
    CHECK(second == NULL);
    if (!CHECK(strstr(eventlog_errmsg(), pid) != NULL))
        fprintf(stderr, "    errmsg \"%s\" does not name pid %s\n", eventlog_errmsg(), pid);

    /* Another process gets the same answer. */
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (CHECK(n > 0)) {
        self[n] = '\0';
        char *argv[] = {self, "--try-open", (char *)dir, NULL};
        pid_t child;
        int status = 0;
        if (CHECK(posix_spawn(&child, self, NULL, NULL, argv, environ) == 0)) {
            waitpid(child, &status, 0);
            CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        }
    }

    /* Readers may open beside the writer. */
    reader = open_readonly(dir);
    CHECK(reader != NULL);
    CHECK_RC(eventlog_close(reader), EVENTLOG_OK);

    /* Closing releases the lock. */
    CHECK_RC(eventlog_close(log), EVENTLOG_OK);
    log = open_log(dir, NULL);
    CHECK(log != NULL);
    CHECK_RC(eventlog_close(log), EVENTLOG_OK);
}

static void test_readonly(void) {
    const char *missing = path_for("never-created");
    eventlog_options opts = EVENTLOG_OPTIONS_INIT;
    eventlog *log = (eventlog *)&log;
    struct stat st;
    opts.flags = EVENTLOG_OPEN_READONLY;
    CHECK_RC(eventlog_open(missing, &opts, &log), EVENTLOG_ENOENT);
    CHECK(log == NULL);
    CHECK(stat(missing, &st) != 0 && errno == ENOENT); /* and not created */

    const char *dir = path_for("readonly");
    log = open_log(dir, NULL);
    if (!CHECK(log != NULL)) return;
    append_numbered(log, 2);
    CHECK_RC(eventlog_close(log), EVENTLOG_OK);

    log = open_readonly(dir);
    if (!CHECK(log != NULL)) return;
    eventlog_record rec = kv("k", "v");
    CHECK_RC(eventlog_append(log, &rec, NULL), EVENTLOG_EREADONLY);
    CHECK_RC(eventlog_append_batch(log, &rec, 1, NULL), EVENTLOG_EREADONLY);
    CHECK(eventlog_end_offset(log) == 2);
    eventlog_cursor *cur;
    if (CHECK_RC(eventlog_cursor_open(log, EVENTLOG_OLDEST, &cur), EVENTLOG_OK)) {
        expect_numbered(cur, 0);
        expect_numbered(cur, 1);
        expect_end(cur);
        eventlog_cursor_close(cur);
    }
    CHECK_RC(eventlog_close(log), EVENTLOG_OK);
}

static void test_cursor_of_closed_log(void) {
    eventlog *log = open_log(path_for("closed"), NULL);
    eventlog_cursor *cur;
    eventlog_record rec, out[2];
    size_t count = 99;
    if (!CHECK(log != NULL)) return;
    append_numbered(log, 3);
    if (!CHECK_RC(eventlog_cursor_open(log, 0, &cur), EVENTLOG_OK)) return;
    expect_numbered(cur, 0);
    CHECK_RC(eventlog_close(log), EVENTLOG_OK);

    CHECK_RC(eventlog_cursor_next(cur, 0, &rec), EVENTLOG_ECLOSED);
    CHECK_RC(eventlog_cursor_next(cur, 100, &rec), EVENTLOG_ECLOSED);
    CHECK_RC(eventlog_cursor_next_batch(cur, 0, out, 2, &count), EVENTLOG_ECLOSED);
    CHECK(count == 0);
    CHECK_RC(eventlog_cursor_seek(cur, 0), EVENTLOG_ECLOSED);
    CHECK_RC(eventlog_cursor_seek_time(cur, 0), EVENTLOG_ECLOSED);
    eventlog_cursor_close(cur); /* still required, and safe */
}

static void test_null_arguments(void) {
    eventlog *log = open_log(path_for("null-args"), NULL), *out_log = (eventlog *)&out_log;
    eventlog_cursor *cur = NULL, *out_cur = (eventlog_cursor *)&out_cur;
    eventlog_record rec = kv("k", "v"), out[2];
    size_t count = 99;
    if (!CHECK(log != NULL)) return;
    append_numbered(log, 1);
    if (!CHECK_RC(eventlog_cursor_open(log, 0, &cur), EVENTLOG_OK)) return;

    CHECK_EINVAL_NAMING(eventlog_open(NULL, NULL, &out_log), "dir");
    CHECK(out_log == NULL);
    CHECK_EINVAL_NAMING(eventlog_open(path_for("null-out"), NULL, NULL), "out");

    CHECK_EINVAL_NAMING(eventlog_append(NULL, &rec, NULL), "log");
    CHECK_EINVAL_NAMING(eventlog_append(log, NULL, NULL), "rec");
    CHECK_EINVAL_NAMING(eventlog_append_batch(NULL, &rec, 1, NULL), "log");
    CHECK_EINVAL_NAMING(eventlog_append_batch(log, NULL, 1, NULL), "recs");
    CHECK_EINVAL_NAMING(eventlog_flush(NULL), "log");
    CHECK_EINVAL_NAMING(eventlog_sync(NULL), "log");
    CHECK(eventlog_end_offset(NULL) == 0);
    (void)eventlog_start_offset(NULL);

    CHECK_EINVAL_NAMING(eventlog_cursor_open(NULL, 0, &out_cur), "log");
    CHECK(out_cur == NULL);
    CHECK_EINVAL_NAMING(eventlog_cursor_open(log, 0, NULL), "out");
    CHECK_EINVAL_NAMING(eventlog_cursor_open_named(NULL, "reader", 0, &out_cur), "log");
    CHECK_EINVAL_NAMING(eventlog_cursor_open_named(log, NULL, 0, &out_cur), "name");
    CHECK_EINVAL_NAMING(eventlog_cursor_open_named(log, "reader", 0, NULL), "out");
    CHECK_EINVAL_NAMING(eventlog_cursor_seek(NULL, 0), "cur");
    CHECK_EINVAL_NAMING(eventlog_cursor_seek_time(NULL, 0), "cur");
    CHECK_EINVAL_NAMING(eventlog_cursor_next(NULL, 0, &rec), "cur");
    CHECK_EINVAL_NAMING(eventlog_cursor_next(cur, 0, NULL), "out");
    CHECK_EINVAL_NAMING(eventlog_cursor_next_batch(NULL, 0, out, 2, &count), "cur");
    CHECK(count == 0);
    CHECK_EINVAL_NAMING(eventlog_cursor_next_batch(cur, 0, NULL, 2, &count), "out");
    CHECK_EINVAL_NAMING(eventlog_cursor_next_batch(cur, 0, out, 2, NULL), "count_out");
    CHECK(eventlog_cursor_offset(NULL) == 0);
    CHECK_EINVAL_NAMING(eventlog_cursor_commit(NULL), "cur");
    CHECK_EINVAL_NAMING(eventlog_compact(NULL, NULL, NULL), "dir");
    CHECK_EINVAL_NAMING(eventlog_verify(NULL, NULL), "dir");
    /* A directory that holds no log is not a sound log. */
    CHECK_RC(eventlog_verify("/", NULL), EVENTLOG_ENOENT);
    CHECK(strstr(eventlog_errmsg(), "no log here") != NULL);

    /* Destructors accept NULL. */
    eventlog_cursor_close(NULL);
    CHECK_RC(eventlog_close(NULL), EVENTLOG_OK);
    eventlog_options_init(NULL);

    /* The cursor still works after all that. */
    expect_numbered(cur, 0);
    eventlog_cursor_close(cur);
    CHECK_RC(eventlog_close(log), EVENTLOG_OK);
}

static void test_invalid_records(void) {
    eventlog *log = open_log(path_for("invalid-records"), NULL);
    eventlog_header bad_key = {.key = NULL, .key_len = 2, .value = "v", .value_len = 1};
    eventlog_header bad_value = {.key = "h", .key_len = 1, .value = NULL, .value_len = 2};
    eventlog_record rec;
    if (!CHECK(log != NULL)) return;

    rec = (eventlog_record){.key = NULL, .key_len = 3, .value = "v", .value_len = 1};
    CHECK_EINVAL_NAMING(eventlog_append(log, &rec, NULL), "key");
    rec = (eventlog_record){.key = "k", .key_len = 1, .value = NULL, .value_len = 1};
    CHECK_EINVAL_NAMING(eventlog_append(log, &rec, NULL), "value");
    rec = kv("k", "v");
    rec.headers = &bad_key;
    rec.header_count = 1;
    CHECK_RC(eventlog_append(log, &rec, NULL), EVENTLOG_EINVAL);
    rec.headers = &bad_value;
    CHECK_RC(eventlog_append(log, &rec, NULL), EVENTLOG_EINVAL);
    rec.headers = NULL;
    CHECK_EINVAL_NAMING(eventlog_append(log, &rec, NULL), "headers");
    rec = kv("k", "v");
    rec.timestamp = -1;
    CHECK_EINVAL_NAMING(eventlog_append(log, &rec, NULL), "timestamp");
    CHECK(eventlog_end_offset(log) == 0);

    /* append_batch takes all records or none. */
    eventlog_record batch[3] = {kv("a", "1"), kv("b", "2"), kv("c", "3")};
    batch[2].timestamp = -5;
    CHECK_RC(eventlog_append_batch(log, batch, 3, NULL), EVENTLOG_EINVAL);
    CHECK_RC(eventlog_append_batch(log, batch, 0, NULL), EVENTLOG_OK);
    CHECK(eventlog_end_offset(log) == 0);
    CHECK_RC(eventlog_flush(log), EVENTLOG_OK);
    eventlog_cursor *cur;
    if (CHECK_RC(eventlog_cursor_open(log, EVENTLOG_OLDEST, &cur), EVENTLOG_OK)) {
        expect_end(cur);
        eventlog_cursor_close(cur);
    }

    /* The documented maximum is accepted and read back; one byte more is
     * refused, never dropped. */
    size_t max = EVENTLOG_MAX_RECORD_BYTES;
    unsigned char *big = malloc(max + 1);
    if (CHECK(big != NULL)) {
        for (size_t i = 0; i <= max; i++) big[i] = (unsigned char)(i * 31 + (i >> 12));
        rec = (eventlog_record){.value = big, .value_len = max + 1};
        CHECK_RC(eventlog_append(log, &rec, NULL), EVENTLOG_ETOOBIG);
        rec.value_len = max;
        uint64_t offset = UINT64_MAX;
        CHECK_RC(eventlog_append(log, &rec, &offset), EVENTLOG_OK);
        CHECK(offset == 0);
        CHECK_RC(eventlog_flush(log), EVENTLOG_OK);
        if (CHECK_RC(eventlog_cursor_open(log, 0, &cur), EVENTLOG_OK)) {
            eventlog_record got;
            if (CHECK_RC(eventlog_cursor_next(cur, 0, &got), EVENTLOG_OK))
                CHECK_REC(&got, 0, NULL, 0, big, max);
            eventlog_cursor_close(cur);
        }
        free(big);
    }
    CHECK_RC(eventlog_close(log), EVENTLOG_OK);
}

static void test_bad_options(void) {
    const char *dir = path_for("bad-options");
    eventlog_options opts = EVENTLOG_OPTIONS_INIT;
    eventlog *log = (eventlog *)&log;
    struct stat st;

    opts.version = 999;
    CHECK_RC(eventlog_open(dir, &opts, &log), EVENTLOG_EVERSION);
    CHECK(log == NULL);
    CHECK(eventlog_errmsg()[0] != '\0');
    /* A struct never initialised with EVENTLOG_OPTIONS_INIT. */
    memset(&opts, 0, sizeof opts);
    CHECK_RC(eventlog_open(dir, &opts, &log), EVENTLOG_EVERSION);

    eventlog_options_init(&opts);
    opts.segment_bytes = 100; /* below the minimum of 4096 */
    CHECK_EINVAL_NAMING(eventlog_open(dir, &opts, &log), "segment_bytes");
    eventlog_options_init(&opts);
    opts.compression = 99;
    CHECK_EINVAL_NAMING(eventlog_open(dir, &opts, &log), "compression");
    CHECK(stat(dir, &st) != 0); /* refused before anything was created */

    eventlog_compact_options compact = EVENTLOG_COMPACT_OPTIONS_INIT;
    compact.version = 999;
    log = open_log(dir, NULL);
    CHECK_RC(eventlog_close(log), EVENTLOG_OK);
    CHECK_RC(eventlog_compact(dir, &compact, NULL), EVENTLOG_EVERSION);

    /* The output structs are versioned too: one this library does not know
     * (here, never initialised) is refused and left as it was. */
    eventlog_compact_stats stats;
    memset(&stats, 0xA5, sizeof stats);
    CHECK_RC(eventlog_compact(dir, NULL, &stats), EVENTLOG_EVERSION);
    CHECK(strstr(eventlog_errmsg(), "stats_out->version") != NULL);
    CHECK(stats.records_before == UINT64_C(0xA5A5A5A5A5A5A5A5));
    eventlog_verify_report report;
    memset(&report, 0, sizeof report);
    CHECK_RC(eventlog_verify(dir, &report), EVENTLOG_EVERSION);
    CHECK(strstr(eventlog_errmsg(), "report_out->version") != NULL);
    eventlog_compact_stats known = EVENTLOG_COMPACT_STATS_INIT;
    CHECK_RC(eventlog_compact(dir, NULL, &known), EVENTLOG_OK);
    CHECK(known.version == EVENTLOG_COMPACT_STATS_VERSION);
}

static int is_segment_name(const char *name) {
    return strlen(name) == 24 && strspn(name, "0123456789") == 20 && strcmp(name + 20, ".log") == 0;
}

static int compare_names(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_segment_roll(void) {
    enum { RECORDS = 500, VALUE = 100 };
    const char *dir = path_for("segments");
    eventlog_options opts = EVENTLOG_OPTIONS_INIT;
    opts.segment_bytes = 4096;
    opts.batch_max_bytes = 1024;
    unsigned char value[VALUE];
    char key[16];
    uint32_t x = 2463534242u;
    eventlog *log = open_log(dir, &opts);
    if (!CHECK(log != NULL)) return;
    for (int i = 0; i < RECORDS; i++) {
        for (int b = 0; b < VALUE; b++) { /* incompressible */
            x ^= x << 13, x ^= x >> 17, x ^= x << 5;
            value[b] = (unsigned char)x;
        }
        snprintf(key, sizeof key, "k%d", i);
        eventlog_record rec = {.key = key, .key_len = strlen(key), .value = value, .value_len = VALUE};
        CHECK_RC(eventlog_append(log, &rec, NULL), EVENTLOG_OK);
        if (i % 10 == 9) CHECK_RC(eventlog_flush(log), EVENTLOG_OK);
    }
    CHECK_RC(eventlog_close(log), EVENTLOG_OK);

    /* Segments are named by their first offset, 20 digits; each stays within
     * segment_bytes. */
    char *names[1024];
    int n = 0;
    DIR *d = opendir(dir);
    if (!CHECK(d != NULL)) return;
    for (struct dirent *e; (e = readdir(d)) != NULL && n < 1024;)
        if (is_segment_name(e->d_name)) names[n++] = strdup(e->d_name);
    closedir(d);
    qsort(names, (size_t)n, sizeof names[0], compare_names);
    if (!CHECK(n >= 3)) fprintf(stderr, "    %d segment files for %d bytes of values\n", n, RECORDS * VALUE);
    if (n > 0) CHECK(strcmp(names[0], "00000000000000000000.log") == 0);
    for (int i = 0; i < n; i++) {
        struct stat st;
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        if (CHECK(stat(path, &st) == 0) && !CHECK(st.st_size <= 4096))
            fprintf(stderr, "    %s has %lld bytes\n", names[i], (long long)st.st_size);
        CHECK(strtoull(names[i], NULL, 10) < RECORDS);
        free(names[i]);
    }

    /* Everything reads back, across segments, after a reopen. */
    x = 2463534242u;
    log = open_readonly(dir);
    eventlog_cursor *cur;
    if (!CHECK(log != NULL)) return;
    if (CHECK_RC(eventlog_cursor_open(log, EVENTLOG_OLDEST, &cur), EVENTLOG_OK)) {
        for (int i = 0; i < RECORDS; i++) {
            for (int b = 0; b < VALUE; b++) {
                x ^= x << 13, x ^= x >> 17, x ^= x << 5;
                value[b] = (unsigned char)x;
            }
            snprintf(key, sizeof key, "k%d", i);
            eventlog_record got;
            if (!CHECK_RC(eventlog_cursor_next(cur, 0, &got), EVENTLOG_OK) ||
                !CHECK_REC(&got, (uint64_t)i, key, strlen(key), value, VALUE))
                break;
        }
        expect_end(cur);
        /* Seeking lands inside a later segment. */
        CHECK_RC(eventlog_cursor_seek(cur, 377), EVENTLOG_OK);
        eventlog_record got;
        if (CHECK_RC(eventlog_cursor_next(cur, 0, &got), EVENTLOG_OK)) CHECK(got.offset == 377);
        eventlog_cursor_close(cur);
    }
    CHECK_RC(eventlog_close(log), EVENTLOG_OK);
}

static void test_named_cursors(void) {
    const char *dir = path_for("named");
    eventlog *log = open_log(dir, NULL);
    eventlog_cursor *cur = (eventlog_cursor *)&cur;
    char longest[65], too_long[66];
    if (!CHECK(log != NULL)) return;
    append_numbered(log, 10);

    static const char *const invalid[] = {"", "-starts-with-dash", ".hidden", "a/b", "has space", "é"};
    for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++) {
        if (!CHECK(eventlog_cursor_open_named(log, invalid[i], 0, &cur) == EVENTLOG_EINVAL))
            fprintf(stderr, "    name \"%s\" was accepted\n", invalid[i]);
        CHECK(cur == NULL);
    }
    memset(too_long, 'a', 65);
    too_long[65] = '\0';
    CHECK_RC(eventlog_cursor_open_named(log, too_long, 0, &cur), EVENTLOG_EINVAL);
    memset(longest, 'a', 64);
    longest[64] = '\0';
    if (CHECK_RC(eventlog_cursor_open_named(log, longest, 0, &cur), EVENTLOG_OK))
        eventlog_cursor_close(cur);

    /* Resumes after the last record returned before the commit. */
    if (CHECK_RC(eventlog_cursor_open_named(log, "billing.v2_x-1", 0, &cur), EVENTLOG_OK)) {
        for (uint64_t i = 0; i < 3; i++) expect_numbered(cur, i);
        CHECK_RC(eventlog_cursor_commit(cur), EVENTLOG_OK);
        expect_numbered(cur, 3);
        eventlog_cursor_close(cur);
    }
    if (CHECK_RC(eventlog_cursor_open_named(log, "billing.v2_x-1", 0, &cur), EVENTLOG_OK)) {
        expect_numbered(cur, 3);
        eventlog_cursor_close(cur);
    }
    /* A new name starts at offset_if_new. */
    if (CHECK_RC(eventlog_cursor_open_named(log, "fresh", EVENTLOG_LATEST, &cur), EVENTLOG_OK)) {
        expect_end(cur);
        eventlog_cursor_close(cur);
    }
    /* Only named cursors can commit. */
    if (CHECK_RC(eventlog_cursor_open(log, 0, &cur), EVENTLOG_OK)) {
        CHECK_RC(eventlog_cursor_commit(cur), EVENTLOG_EINVAL);
        eventlog_cursor_close(cur);
    }
    CHECK_RC(eventlog_close(log), EVENTLOG_OK);

    /* The position survives the log's close; read-only handles use it too. */
    log = open_readonly(dir);
    if (!CHECK(log != NULL)) return;
    if (CHECK_RC(eventlog_cursor_open_named(log, "billing.v2_x-1", 0, &cur), EVENTLOG_OK)) {
        expect_numbered(cur, 3);
        expect_numbered(cur, 4);
        CHECK_RC(eventlog_cursor_commit(cur), EVENTLOG_OK);
        eventlog_cursor_close(cur);
    }
    if (CHECK_RC(eventlog_cursor_open_named(log, "billing.v2_x-1", 0, &cur), EVENTLOG_OK)) {
        expect_numbered(cur, 5);
        eventlog_cursor_close(cur);
    }
    CHECK_RC(eventlog_close(log), EVENTLOG_OK);
}

struct errmsg_probe {
    char before[64];
    char after[256];
};

static void *errmsg_in_new_thread(void *arg) {
    struct errmsg_probe *p = arg;
    snprintf(p->before, sizeof p->before, "%s", eventlog_errmsg());
    (void)eventlog_cursor_seek(NULL, 0);
    snprintf(p->after, sizeof p->after, "%s", eventlog_errmsg());
    return NULL;
}

static void test_errmsg(void) {
    char saved[1024];
    CHECK_RC(eventlog_flush(NULL), EVENTLOG_EINVAL);
    snprintf(saved, sizeof saved, "%s", eventlog_errmsg());
    CHECK(saved[0] != '\0');

    /* Successful calls leave the message as it was. */
    eventlog *log = open_log(path_for("errmsg"), NULL);
    append_numbered(log, 1);
    CHECK_RC(eventlog_close(log), EVENTLOG_OK);
    CHECK(strcmp(eventlog_errmsg(), saved) == 0);

    /* The message is per thread. */
    struct errmsg_probe probe;
    memset(&probe, 0, sizeof probe);
    pthread_t thread;
    if (CHECK(pthread_create(&thread, NULL, errmsg_in_new_thread, &probe) == 0)) {
        pthread_join(thread, NULL);
        CHECK(strcmp(probe.before, "") == 0);
        CHECK(probe.after[0] != '\0');
        CHECK(strcmp(eventlog_errmsg(), saved) == 0);
    }
}

static void test_verify(void) {
    const char *dir = path_for("verify");
    eventlog_verify_report report = EVENTLOG_VERIFY_REPORT_INIT;
    eventlog *log = open_log(dir, NULL);
    if (!CHECK(log != NULL)) return;
    append_numbered(log, 100);
    CHECK_RC(eventlog_close(log), EVENTLOG_OK);

    memset(&report.segments, 0xA5, sizeof report - offsetof(eventlog_verify_report, segments));
    CHECK_RC(eventlog_verify(dir, &report), EVENTLOG_OK);
    CHECK(report.version == EVENTLOG_VERIFY_REPORT_VERSION);
    CHECK(report.records == 100);
    CHECK(report.segments >= 1);
    CHECK(report.batches >= 1);
    CHECK(report.corrupt_batches == 0);
    CHECK(report.truncated_bytes == 0);
    CHECK_RC(eventlog_verify(dir, NULL), EVENTLOG_OK);
    CHECK_RC(eventlog_verify(path_for("verify-missing"), NULL), EVENTLOG_ENOENT);
}

/* ------------------------------------------------- maintenance, by path */

/* A log of 4 KiB segments, which records of 100 bytes soon roll. */
static eventlog *open_small_segments(const char *dir) {
    eventlog_options opts = EVENTLOG_OPTIONS_INIT;
    opts.segment_bytes = 4096;
    opts.batch_max_bytes = 1024;
    return open_log(dir, &opts);
}

/* Appends `n` records of 100 incompressible bytes with timestamps ts0,
 * ts0 + 1, ..., flushing every ten, and flushes. */
static void append_incompressible(eventlog *log, int n, int64_t ts0) {
    unsigned char value[100];
    uint32_t x = 2463534242u;
    for (int i = 0; i < n; i++) {
        for (size_t b = 0; b < sizeof value; b++) {
            x ^= x << 13, x ^= x >> 17, x ^= x << 5;
            value[b] = (unsigned char)x;
        }
        eventlog_record rec = {.timestamp = ts0 + i, .value = value, .value_len = sizeof value};
        CHECK_RC(eventlog_append(log, &rec, NULL), EVENTLOG_OK);
        if (i % 10 == 9) CHECK_RC(eventlog_flush(log), EVENTLOG_OK);
    }
    CHECK_RC(eventlog_flush(log), EVENTLOG_OK);
}

/* A closed log of 4 KiB segments holding `n` records from
 * append_incompressible. */
static void write_segments(const char *dir, int n, int64_t ts0) {
    eventlog *log = open_small_segments(dir);
    if (!CHECK(log != NULL)) return;
    append_incompressible(log, n, ts0);
    CHECK_RC(eventlog_close(log), EVENTLOG_OK);
}

static int count_segment_files(const char *dir) {
    int n = 0;
    DIR *d = opendir(dir);
    if (d == NULL) return -1;
    for (struct dirent *e; (e = readdir(d)) != NULL;) n += is_segment_name(e->d_name);
    closedir(d);
    return n;
}

/* An existing directory with nothing in it, which must stay empty. */
static const char *plain_directory(const char *name) {
    const char *dir = path_for(name);
    CHECK(mkdir(dir, 0755) == 0);
    return dir;
}

static int is_empty_directory(const char *dir) {
    int entries = 0;
    DIR *d = opendir(dir);
    if (d == NULL) return 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        entries += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    return entries == 0;
}

/* Flips every bit of the byte at `position` of the file. */
static int damage_byte(const char *path, long position) {
    FILE *f = fopen(path, "r+b");
    if (f == NULL) return 0;
    int ok = fseek(f, position, SEEK_SET) == 0;
    int c = ok ? fgetc(f) : EOF;
    ok = c != EOF && fseek(f, position, SEEK_SET) == 0 && fputc(c ^ 0xFF, f) != EOF;
    return fclose(f) == 0 && ok;
}

static void test_retention(void) {
    const char *dir = path_for("retention");
    eventlog_retention_options opts = EVENTLOG_RETENTION_OPTIONS_INIT;
    eventlog_retention_stats stats = EVENTLOG_RETENTION_STATS_INIT;
    eventlog_cursor *cur;
    write_segments(dir, 300, 1000);
    int before = count_segment_files(dir);
    if (!CHECK(before >= 4)) return;

    /* A named cursor that has read nothing holds everything back. */
    eventlog *log = open_readonly(dir);
    if (!CHECK(log != NULL)) return;
    if (CHECK_RC(eventlog_cursor_open_named(log, "slow", 0, &cur), EVENTLOG_OK)) {
        CHECK_RC(eventlog_cursor_commit(cur), EVENTLOG_OK);
        eventlog_cursor_close(cur);
    }
    CHECK_RC(eventlog_close(log), EVENTLOG_OK);
    opts.retention_bytes = 4096;
    opts.flags = EVENTLOG_RETAIN_UNCOMMITTED;
    CHECK_RC(eventlog_retention(dir, &opts, &stats), EVENTLOG_OK);
    CHECK(stats.version == EVENTLOG_RETENTION_STATS_VERSION);
    CHECK(stats.segments_deleted == 0 && stats.held_by_cursor == 1 && stats.start_offset == 0);
    CHECK(count_segment_files(dir) == before);

    /* A dry run reports and deletes nothing. */
    opts.flags = EVENTLOG_RETENTION_DRY_RUN;
    CHECK_RC(eventlog_retention(dir, &opts, &stats), EVENTLOG_OK);
    eventlog_retention_stats planned = stats;
    CHECK(planned.segments_deleted == (uint64_t)before - 2 || planned.segments_deleted == (uint64_t)before - 1);
    CHECK(planned.bytes_freed > 0 && planned.held_by_cursor == 0);
    CHECK(count_segment_files(dir) == before);

    /* Then for real: the oldest segments go, and the start offset moves. */
    opts.flags = 0;
    memset(&stats.held_by_cursor, 0xA5, sizeof stats - offsetof(eventlog_retention_stats, held_by_cursor));
    CHECK_RC(eventlog_retention(dir, &opts, &stats), EVENTLOG_OK);
    CHECK(stats.segments_deleted == planned.segments_deleted);
    CHECK(stats.bytes_freed == planned.bytes_freed);
    CHECK(stats.start_offset == planned.start_offset && stats.start_offset > 0);
    CHECK(stats.offsets_removed == stats.start_offset);
    CHECK(stats.held_by_cursor == 0);
    CHECK(count_segment_files(dir) == before - (int)stats.segments_deleted);
    log = open_readonly(dir);
    if (CHECK(log != NULL)) {
        CHECK(eventlog_start_offset(log) == stats.start_offset);
        CHECK(eventlog_end_offset(log) == 300);
        CHECK_RC(eventlog_close(log), EVENTLOG_OK);
    }
    /* Nothing more to delete; stats_out is optional; with no other
     * maintenance running, waiting for it returns at once. */
    CHECK_RC(eventlog_retention(dir, &opts, NULL), EVENTLOG_OK);
    opts.flags = EVENTLOG_RETENTION_WAIT;
    CHECK_RC(eventlog_retention(dir, &opts, NULL), EVENTLOG_OK);
    opts.flags = 0;
    CHECK_RC(eventlog_retention(dir, &opts, &stats), EVENTLOG_OK);
    CHECK(stats.segments_deleted == 0 && stats.offsets_removed == 0);

    /* Hostile arguments. */
    CHECK_EINVAL_NAMING(eventlog_retention(NULL, &opts, &stats), "dir");
    CHECK_EINVAL_NAMING(eventlog_retention("", &opts, &stats), "dir");
    CHECK_EINVAL_NAMING(eventlog_retention(dir, NULL, &stats), "opts");
    CHECK_RC(eventlog_retention(path_for("retention-missing"), &opts, &stats), EVENTLOG_ENOENT);
    const char *plain = plain_directory("retention-plain");
    CHECK_RC(eventlog_retention(plain, &opts, &stats), EVENTLOG_ENOENT);
    CHECK(is_empty_directory(plain));
    opts.retention_ms = -1;
    CHECK_EINVAL_NAMING(eventlog_retention(dir, &opts, &stats), "retention_ms");
    opts.retention_ms = 0;
    opts.flags = 0x80;
    CHECK_EINVAL_NAMING(eventlog_retention(dir, &opts, &stats), "flags");
    opts.flags = 0;
    opts.version = 99;
    CHECK_RC(eventlog_retention(dir, &opts, &stats), EVENTLOG_EVERSION);
    CHECK(stats.version == EVENTLOG_RETENTION_STATS_VERSION && stats.segments_deleted == 0);
    opts.version = EVENTLOG_RETENTION_OPTIONS_VERSION;
    stats.version = 99;
    stats.segments_deleted = 7;
    CHECK_RC(eventlog_retention(dir, &opts, &stats), EVENTLOG_EVERSION);
    CHECK(stats.version == 99 && stats.segments_deleted == 7); /* nothing written */

    /* Beside a writer that goes on appending, and a reader of what is left. */
    const char *live = path_for("retention-live");
    log = open_small_segments(live);
    if (!CHECK(log != NULL)) return;
    append_incompressible(log, 100, 1000);
    opts = (eventlog_retention_options)EVENTLOG_RETENTION_OPTIONS_INIT;
    stats = (eventlog_retention_stats)EVENTLOG_RETENTION_STATS_INIT;
    opts.retention_bytes = 2048;
    CHECK_RC(eventlog_retention(live, &opts, &stats), EVENTLOG_OK);
    CHECK(stats.segments_deleted > 0 && stats.start_offset > 0);
    CHECK(eventlog_start_offset(log) == stats.start_offset);
    uint64_t next = append_kv(log, "after", "retention");
    CHECK(next == 100);
    CHECK_RC(eventlog_flush(log), EVENTLOG_OK);
    if (CHECK_RC(eventlog_cursor_open(log, EVENTLOG_OLDEST, &cur), EVENTLOG_OK)) {
        eventlog_record rec;
        if (CHECK_RC(eventlog_cursor_next(cur, 0, &rec), EVENTLOG_OK)) CHECK(rec.offset == stats.start_offset);
        CHECK_RC(eventlog_cursor_seek(cur, 100), EVENTLOG_OK);
        if (CHECK_RC(eventlog_cursor_next(cur, 0, &rec), EVENTLOG_OK))
            CHECK_REC(&rec, 100, "after", 5, "retention", 9);
        eventlog_cursor_close(cur);
    }
    CHECK_RC(eventlog_close(log), EVENTLOG_OK);
}

/* A cursor that retention overtook: EVENTLOG_ERANGE naming the offsets
 * lost, again until it seeks, then on from the log's new start. */
static void test_cursor_behind_retention(void) {
    const char *dir = path_for("retention-behind");
    write_segments(dir, 300, 1000);
    eventlog *log = open_readonly(dir);
    if (!CHECK(log != NULL)) return;
    eventlog_cursor *cur;
    if (!CHECK_RC(eventlog_cursor_open(log, EVENTLOG_OLDEST, &cur), EVENTLOG_OK)) return;
    eventlog_record rec;
    CHECK_RC(eventlog_cursor_next(cur, 0, &rec), EVENTLOG_OK);
    eventlog_retention_options opts = EVENTLOG_RETENTION_OPTIONS_INIT;
    eventlog_retention_stats stats = EVENTLOG_RETENTION_STATS_INIT;
    opts.retention_bytes = 4096;
    CHECK_RC(eventlog_retention(dir, &opts, &stats), EVENTLOG_OK);
    CHECK(stats.segments_deleted >= 3);
    int rc;
    uint64_t next = 1;
    while ((rc = eventlog_cursor_next(cur, 0, &rec)) == EVENTLOG_OK) CHECK(rec.offset == next++);
    CHECK_RC(rc, EVENTLOG_ERANGE);
    char lost[64];
    snprintf(lost, sizeof lost, "offsets %llu..<%llu", (unsigned long long)next,
             (unsigned long long)stats.start_offset);
    CHECK(strstr(eventlog_errmsg(), lost) != NULL);
    CHECK(eventlog_cursor_offset(cur) == next);
    CHECK_RC(eventlog_cursor_next(cur, 0, &rec), EVENTLOG_ERANGE);
    CHECK_RC(eventlog_cursor_seek(cur, EVENTLOG_OLDEST), EVENTLOG_OK);
    next = stats.start_offset;
    while ((rc = eventlog_cursor_next(cur, 0, &rec)) == EVENTLOG_OK) CHECK(rec.offset == next++);
    CHECK_RC(rc, EVENTLOG_END);
    CHECK(next == 300);
    eventlog_cursor_close(cur);
    CHECK_RC(eventlog_close(log), EVENTLOG_OK);
}

/* The path of the n-th segment file of `dir` in name order (0 = oldest). */
static const char *segment_path(const char *dir, int n) {
    static char path[PATH_MAX];
    char *names[1024];
    int count = 0;
    DIR *d = opendir(dir);
    path[0] = '\0';
    if (d == NULL) return path;
    for (struct dirent *e; (e = readdir(d)) != NULL && count < 1024;)
        if (is_segment_name(e->d_name)) names[count++] = strdup(e->d_name);
    closedir(d);
    qsort(names, (size_t)count, sizeof names[0], compare_names);
    if (n < count) snprintf(path, sizeof path, "%s/%s", dir, names[n]);
    for (int i = 0; i < count; i++) free(names[i]);
    return path;
}

static void test_recover(void) {
    const char *dir = path_for("recover");
    eventlog_recover_options opts = EVENTLOG_RECOVER_OPTIONS_INIT;
    eventlog_recover_report report = EVENTLOG_RECOVER_REPORT_INIT;
    struct stat st;
    write_segments(dir, 200, 1000);

    /* A sound log is left as it is. */
    CHECK_RC(eventlog_recover(dir, NULL, &report), EVENTLOG_OK);
    CHECK(report.version == EVENTLOG_RECOVER_REPORT_VERSION);
    CHECK(report.records_kept == 200 && report.records_dropped == 0 && report.problems == 0);
    CHECK(report.bytes_removed == 0 && report.strangers_moved == 0 && report.next_offset == 200);
    CHECK_RC(eventlog_verify(dir, NULL), EVENTLOG_OK);

    /* A damaged batch in the first segment: a dry run only reports. */
    if (!CHECK(damage_byte(segment_path(dir, 0), 100))) return;
    CHECK_RC(eventlog_verify(dir, NULL), EVENTLOG_ECORRUPT);
    opts.flags = EVENTLOG_RECOVER_DRY_RUN;
    CHECK_RC(eventlog_recover(dir, &opts, &report), EVENTLOG_OK);
    eventlog_recover_report planned = report;
    CHECK(planned.dry_run == 1 && planned.problems >= 1);
    CHECK(planned.records_dropped > 0 && planned.records_kept + planned.records_dropped == 200);
    CHECK(planned.bytes_quarantined > 0 && planned.bytes_removed >= planned.bytes_quarantined);
    CHECK(planned.next_offset == 200);
    CHECK_RC(eventlog_verify(dir, NULL), EVENTLOG_ECORRUPT);
    CHECK(stat(path_for("recover/quarantine"), &st) != 0);

    /* Then for real: the damage goes to the quarantine, the rest stays. */
    opts.flags = 0;
    memset(&report.dry_run, 0xA5, sizeof report - offsetof(eventlog_recover_report, dry_run));
    CHECK_RC(eventlog_recover(dir, &opts, &report), EVENTLOG_OK);
    CHECK(report.dry_run == 0 && report.records_kept == planned.records_kept);
    CHECK(report.records_dropped == planned.records_dropped);
    CHECK(report.bytes_quarantined == planned.bytes_quarantined && report.next_offset == 200);
    CHECK(report.segments_deleted == 0);
    CHECK_RC(eventlog_verify(dir, NULL), EVENTLOG_OK);
    CHECK(stat(path_for("recover/quarantine"), &st) == 0 && S_ISDIR(st.st_mode));

    /* Kafka's recovery: everything after the first damage goes. */
    const char *kafka = path_for("recover-truncate");
    write_segments(kafka, 200, 1000);
    int segments = count_segment_files(kafka);
    if (!CHECK(damage_byte(segment_path(kafka, 1), 100))) return;
    opts.flags = EVENTLOG_RECOVER_TRUNCATE_AFTER_DAMAGE;
    CHECK_RC(eventlog_recover(kafka, &opts, &report), EVENTLOG_OK);
    CHECK(report.segments_deleted == (uint64_t)segments - 2 && report.bytes_quarantined == 0);
    CHECK(report.records_kept + report.records_dropped == 200 && report.next_offset == report.records_kept);
    CHECK_RC(eventlog_verify(kafka, NULL), EVENTLOG_OK);

    /* While a writer has the log open: busy, a dry run too. */
    eventlog *log = open_log(dir, NULL);
    if (CHECK(log != NULL)) {
        CHECK_RC(eventlog_recover(dir, NULL, NULL), EVENTLOG_EBUSY);
        opts.flags = EVENTLOG_RECOVER_DRY_RUN;
        CHECK_RC(eventlog_recover(dir, &opts, NULL), EVENTLOG_EBUSY);
        CHECK_RC(eventlog_close(log), EVENTLOG_OK);
    }

    /* Hostile arguments. */
    opts.flags = 0;
    CHECK_EINVAL_NAMING(eventlog_recover(NULL, &opts, &report), "dir");
    CHECK_EINVAL_NAMING(eventlog_recover("", &opts, &report), "dir");
    CHECK_RC(eventlog_recover(path_for("recover-missing"), &opts, &report), EVENTLOG_ENOENT);
    const char *plain = plain_directory("recover-plain");
    CHECK_RC(eventlog_recover(plain, NULL, NULL), EVENTLOG_ENOENT);
    CHECK(is_empty_directory(plain));
    opts.flags = 0x80;
    CHECK_EINVAL_NAMING(eventlog_recover(dir, &opts, &report), "flags");
    opts.flags = 0;
    opts.version = 0;
    CHECK_RC(eventlog_recover(dir, &opts, &report), EVENTLOG_EVERSION);
    opts.version = EVENTLOG_RECOVER_OPTIONS_VERSION;
    report.version = 2;
    report.records_kept = 7;
    CHECK_RC(eventlog_recover(dir, &opts, &report), EVENTLOG_EVERSION);
    CHECK(report.version == 2 && report.records_kept == 7); /* nothing written */
}

struct segment_walk {
    int visits, stop_after, actives, last_active;
    uint64_t records, next_first, bytes;
    int ok;
};

static int visit_segment(const eventlog_segment_info *s, void *ctx) {
    struct segment_walk *w = ctx;
    char name[32];
    snprintf(name, sizeof name, "%020" PRIu64 ".log", s->base_offset);
    if (s->version != EVENTLOG_SEGMENT_INFO_VERSION || strcmp(s->file_name, name) != 0 ||
        s->first_offset != w->next_first || s->base_offset != s->first_offset ||
        s->last_offset + 1 != s->first_offset + s->record_count || s->batch_count == 0 ||
        s->min_timestamp != 1000 + (int64_t)s->first_offset ||
        s->max_timestamp != 1000 + (int64_t)s->last_offset || s->file_bytes == 0 ||
        s->index_bytes == 0 || s->stored_bytes == 0 || s->uncompressed_bytes == 0)
        w->ok = 0;
    w->visits++;
    w->records += s->record_count;
    w->bytes += s->file_bytes + s->index_bytes;
    w->next_first = s->last_offset + 1;
    w->actives += s->active != 0;
    w->last_active = s->active != 0;
    return w->visits == w->stop_after ? 7 : 0;
}

static void test_info(void) {
    const char *dir = path_for("info");
    eventlog_log_info info = EVENTLOG_LOG_INFO_INIT;
    write_segments(dir, 300, 1000);

    memset(&info.start_offset, 0xA5, sizeof info - offsetof(eventlog_log_info, start_offset));
    CHECK_RC(eventlog_info(dir, &info), EVENTLOG_OK);
    CHECK(info.version == EVENTLOG_LOG_INFO_VERSION);
    CHECK(info.start_offset == 0 && info.end_offset == 300 && info.record_count == 300);
    CHECK(info.segment_count == (uint64_t)count_segment_files(dir) && info.segment_count >= 4);
    CHECK(info.batch_count >= 30);
    CHECK(info.min_timestamp == 1000 && info.max_timestamp == 1299);
    CHECK(info.stored_bytes > 300 * 100 && info.bytes_on_disk > info.stored_bytes);

    /* One visit per segment, oldest first, adding up to the totals. */
    struct segment_walk walk = {.ok = 1};
    CHECK_RC(eventlog_segments(dir, visit_segment, &walk), EVENTLOG_OK);
    CHECK(walk.ok);
    CHECK((uint64_t)walk.visits == info.segment_count && walk.records == 300);
    CHECK(walk.bytes == info.bytes_on_disk);
    CHECK(walk.actives <= 1 && (walk.actives == 0 || walk.last_active));
    /* A non-zero return stops the walk and is returned. */
    struct segment_walk stopped = {.ok = 1, .stop_after = 2};
    CHECK(eventlog_segments(dir, visit_segment, &stopped) == 7);
    CHECK(stopped.visits == 2);

    /* An empty log. */
    const char *empty = path_for("info-empty");
    eventlog *log = open_log(empty, NULL);
    if (CHECK(log != NULL)) CHECK_RC(eventlog_close(log), EVENTLOG_OK);
    CHECK_RC(eventlog_info(empty, &info), EVENTLOG_OK);
    CHECK(info.record_count == 0 && info.start_offset == 0 && info.end_offset == 0);
    CHECK(info.min_timestamp == 0 && info.max_timestamp == 0);

    /* A damaged batch is named, and no segment is visited. */
    const char *damaged = path_for("info-damaged");
    write_segments(damaged, 100, 1000);
    if (CHECK(damage_byte(segment_path(damaged, 1), 100))) {
        CHECK_RC(eventlog_info(damaged, &info), EVENTLOG_ECORRUPT);
        CHECK(strstr(eventlog_errmsg(), ".log") != NULL);
        CHECK(info.version == EVENTLOG_LOG_INFO_VERSION && info.record_count == 0);
        struct segment_walk none = {.ok = 1};
        CHECK_RC(eventlog_segments(damaged, visit_segment, &none), EVENTLOG_ECORRUPT);
        CHECK(none.visits == 0);
    }

    /* Hostile arguments. */
    CHECK_EINVAL_NAMING(eventlog_info(NULL, &info), "dir");
    CHECK_EINVAL_NAMING(eventlog_info("", &info), "dir");
    CHECK_EINVAL_NAMING(eventlog_info(dir, NULL), "info_out");
    CHECK_EINVAL_NAMING(eventlog_segments(NULL, visit_segment, &walk), "dir");
    CHECK_EINVAL_NAMING(eventlog_segments("", visit_segment, &walk), "dir");
    CHECK_EINVAL_NAMING(eventlog_segments(dir, NULL, &walk), "visit");
    CHECK_RC(eventlog_info(path_for("info-missing"), &info), EVENTLOG_ENOENT);
    CHECK_RC(eventlog_segments(path_for("info-missing"), visit_segment, &walk), EVENTLOG_ENOENT);
    const char *plain = plain_directory("info-plain");
    CHECK_RC(eventlog_info(plain, &info), EVENTLOG_ENOENT);
    CHECK_RC(eventlog_segments(plain, visit_segment, &walk), EVENTLOG_ENOENT);
    CHECK(is_empty_directory(plain));
    info.version = 99;
    info.record_count = 7;
    CHECK_RC(eventlog_info(dir, &info), EVENTLOG_EVERSION);
    CHECK(info.version == 99 && info.record_count == 7); /* nothing written */
}

struct cursor_walk {
    int visits, stop_after;
    char names[4][72];
    uint64_t next[4];
    int64_t committed[4];
    const char *delete_from; /* a log whose cursors the callback deletes */
};

static int visit_cursor(const eventlog_cursor_info *c, void *ctx) {
    struct cursor_walk *w = ctx;
    if (c->version == EVENTLOG_CURSOR_INFO_VERSION && w->visits < 4) {
        snprintf(w->names[w->visits], sizeof w->names[0], "%s", c->name);
        w->next[w->visits] = c->next_offset;
        w->committed[w->visits] = c->committed_at;
    }
    w->visits++;
    if (w->delete_from != NULL) CHECK_RC(eventlog_cursor_delete(w->delete_from, c->name), EVENTLOG_OK);
    return w->visits == w->stop_after ? 42 : 0;
}

static void commit_at(eventlog *log, const char *name, int records) {
    eventlog_cursor *cur;
    if (!CHECK_RC(eventlog_cursor_open_named(log, name, 0, &cur), EVENTLOG_OK)) return;
    for (int i = 0; i < records; i++) expect_numbered(cur, (uint64_t)i);
    CHECK_RC(eventlog_cursor_commit(cur), EVENTLOG_OK);
    eventlog_cursor_close(cur);
}

static void test_cursor_list_delete(void) {
    const char *dir = path_for("cursor-list");
    eventlog_cursor *cur;
    eventlog *log = open_log(dir, NULL);
    if (!CHECK(log != NULL)) return;
    append_numbered(log, 10);
    struct cursor_walk none = {0};
    CHECK_RC(eventlog_cursor_list(dir, visit_cursor, &none), EVENTLOG_OK);
    CHECK(none.visits == 0);

    int64_t before = wall_ms();
    commit_at(log, "billing", 3);
    commit_at(log, "audit", 5);
    int64_t after = wall_ms();
    /* Opened but never committed: not stored, not listed. */
    if (CHECK_RC(eventlog_cursor_open_named(log, "idle", 0, &cur), EVENTLOG_OK)) eventlog_cursor_close(cur);

    struct cursor_walk walk = {0};
    CHECK_RC(eventlog_cursor_list(dir, visit_cursor, &walk), EVENTLOG_OK);
    if (CHECK(walk.visits == 2)) {
        CHECK(strcmp(walk.names[0], "audit") == 0 && walk.next[0] == 5);
        CHECK(strcmp(walk.names[1], "billing") == 0 && walk.next[1] == 3);
        for (int i = 0; i < 2; i++) CHECK(walk.committed[i] >= before - 1000 && walk.committed[i] <= after + 1000);
    }
    struct cursor_walk stopped = {.stop_after = 1};
    CHECK(eventlog_cursor_list(dir, visit_cursor, &stopped) == 42);
    CHECK(stopped.visits == 1);

    /* Deleting one: its next open starts afresh; deleting it again is ENOENT. */
    CHECK_RC(eventlog_cursor_delete(dir, "audit"), EVENTLOG_OK);
    CHECK_RC(eventlog_cursor_delete(dir, "audit"), EVENTLOG_ENOENT);
    CHECK(strstr(eventlog_errmsg(), "audit") != NULL);
    CHECK_RC(eventlog_cursor_delete(dir, "idle"), EVENTLOG_ENOENT);
    struct cursor_walk one = {0};
    CHECK_RC(eventlog_cursor_list(dir, visit_cursor, &one), EVENTLOG_OK);
    CHECK(one.visits == 1 && strcmp(one.names[0], "billing") == 0);
    if (CHECK_RC(eventlog_cursor_open_named(log, "audit", 8, &cur), EVENTLOG_OK)) {
        CHECK(eventlog_cursor_offset(cur) == 8);
        eventlog_cursor_close(cur);
    }
    /* The callback may delete what it is shown. */
    struct cursor_walk deleting = {.delete_from = dir};
    CHECK_RC(eventlog_cursor_list(dir, visit_cursor, &deleting), EVENTLOG_OK);
    CHECK(deleting.visits == 1);
    struct cursor_walk after_delete = {0};
    CHECK_RC(eventlog_cursor_list(dir, visit_cursor, &after_delete), EVENTLOG_OK);
    CHECK(after_delete.visits == 0);
    CHECK_RC(eventlog_close(log), EVENTLOG_OK);

    /* Hostile arguments. */
    CHECK_EINVAL_NAMING(eventlog_cursor_list(NULL, visit_cursor, &walk), "dir");
    CHECK_EINVAL_NAMING(eventlog_cursor_list("", visit_cursor, &walk), "dir");
    CHECK_EINVAL_NAMING(eventlog_cursor_list(dir, NULL, &walk), "visit");
    CHECK_EINVAL_NAMING(eventlog_cursor_delete(NULL, "billing"), "dir");
    CHECK_EINVAL_NAMING(eventlog_cursor_delete("", "billing"), "dir");
    CHECK_EINVAL_NAMING(eventlog_cursor_delete(dir, NULL), "name");
    static const char *const invalid[] = {"", "../eventlog.head", "a/b", ".hidden", "has space"};
    for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++)
        if (!CHECK(eventlog_cursor_delete(dir, invalid[i]) == EVENTLOG_EINVAL))
            fprintf(stderr, "    name \"%s\" was accepted\n", invalid[i]);
    CHECK_RC(eventlog_cursor_list(path_for("cursor-list-missing"), visit_cursor, &walk), EVENTLOG_ENOENT);
    CHECK_RC(eventlog_cursor_delete(path_for("cursor-list-missing"), "billing"), EVENTLOG_ENOENT);
    const char *plain = plain_directory("cursor-list-plain");
    CHECK_RC(eventlog_cursor_list(plain, visit_cursor, &walk), EVENTLOG_ENOENT);
    CHECK_RC(eventlog_cursor_delete(plain, "billing"), EVENTLOG_ENOENT);
    CHECK(is_empty_directory(plain));
}

/* --------------------------------------------------------------- main */

/* ------------------------------------------------------------ scans */

/* What one scan saw, per worker, merged after the scan: each worker writes
 * only its own row, so the callback takes no lock. */
enum { SCAN_MAX_WORKERS = 16, SCAN_MAX_RECORDS = 4096 };

typedef struct scan_seen {
    unsigned char seen[SCAN_MAX_WORKERS][SCAN_MAX_RECORDS];
    uint64_t last[SCAN_MAX_WORKERS]; /* offset of the worker's last record + 1 */
    int bad_value, out_of_order, bad_worker;
    unsigned max_workers;
    int stop_after; /* calls before returning 42 (0: never) */
    int calls[SCAN_MAX_WORKERS]; /* each worker counts its own */
} scan_seen;

static int scan_visit(const eventlog_record *recs, size_t count, unsigned int worker, void *ctx) {
    scan_seen *s = ctx;
    if (worker >= s->max_workers) {
        s->bad_worker = 1;
        return 0;
    }
    for (size_t i = 0; i < count; i++) {
        uint64_t o = recs[i].offset;
        char value[24];
        snprintf(value, sizeof value, "r%" PRIu64, o);
        if (o >= SCAN_MAX_RECORDS || !same_bytes(recs[i].value, recs[i].value_len, value, strlen(value))) {
            s->bad_value = 1;
            continue;
        }
        s->seen[worker][o]++;
        /* Within a batch, offsets rise. */
        if (i > 0 && o <= recs[i - 1].offset) s->out_of_order = 1;
        s->last[worker] = o + 1;
    }
    if (s->stop_after && ++s->calls[worker] >= s->stop_after) return 42;
    return 0;
}

/* How many times offset `o` was seen, over every worker. */
static int scan_count(const scan_seen *s, uint64_t o) {
    int n = 0;
    for (int w = 0; w < SCAN_MAX_WORKERS; w++) n += s->seen[w][o];
    return n;
}

/* A log of `n` numbered records in many small segments and batches. */
static eventlog *open_scan_log(const char *dir, int n) {
    eventlog_options opts = EVENTLOG_OPTIONS_INIT;
    opts.segment_bytes = 8192;
    opts.batch_max_bytes = 512;
    eventlog *log = open_log(dir, &opts);
    if (log != NULL) append_numbered(log, n);
    return log;
}

static void test_scan(void) {
    enum { N = 3000 };
    eventlog *log = open_scan_log(path_for("scan"), N);
    if (!CHECK(log != NULL)) return;
    static scan_seen s;
    const unsigned thread_counts[] = {1, 2, 3, 16};
    const uint64_t ranges[][2] = {{EVENTLOG_OLDEST, EVENTLOG_LATEST}, {37, 2011}, {0, 1}, {2999, 5000}, {500, 500}};
    for (size_t t = 0; t < sizeof thread_counts / sizeof thread_counts[0]; t++) {
        for (size_t r = 0; r < sizeof ranges / sizeof ranges[0]; r++) {
            memset(&s, 0, sizeof s);
            s.max_workers = thread_counts[t];
            eventlog_scan_options opts = EVENTLOG_SCAN_OPTIONS_INIT;
            opts.threads = thread_counts[t];
            opts.piece_bytes = 1; /* one piece per indexed batch: more pieces than threads */
            eventlog_scan_stats stats = EVENTLOG_SCAN_STATS_INIT;
            CHECK_RC(eventlog_scan(log, ranges[r][0], ranges[r][1], &opts, scan_visit, &s, &stats), EVENTLOG_OK);
            uint64_t from = ranges[r][0] == EVENTLOG_OLDEST ? 0 : ranges[r][0];
            uint64_t to = ranges[r][1] > N ? N : ranges[r][1];
            int wrong = 0;
            for (uint64_t o = 0; o < N; o++) wrong += scan_count(&s, o) != (o >= from && o < to);
            if (!CHECK(wrong == 0 && !s.bad_value && !s.out_of_order && !s.bad_worker))
                fprintf(stderr, "    threads %u, range %zu: %d offsets wrong\n", thread_counts[t], r, wrong);
            if (!CHECK(stats.records == to - from && stats.end_offset == to))
                fprintf(stderr, "    records %" PRIu64 " end %" PRIu64 " pieces %" PRIu64 "\n", stats.records, stats.end_offset, stats.pieces);
            CHECK(stats.threads >= 1 && stats.threads <= thread_counts[t]);
        }
    }
    /* More threads than pieces: one piece, one worker. */
    memset(&s, 0, sizeof s);
    s.max_workers = 16;
    eventlog_scan_options many = EVENTLOG_SCAN_OPTIONS_INIT;
    many.threads = 16;
    eventlog_scan_stats stats = EVENTLOG_SCAN_STATS_INIT;
    CHECK_RC(eventlog_scan(log, 10, 12, &many, scan_visit, &s, &stats), EVENTLOG_OK);
    if (!CHECK(stats.records == 2 && stats.threads == 1))
        fprintf(stderr, "    records %" PRIu64 " pieces %" PRIu64 " threads %" PRIu64 "\n", stats.records, stats.pieces, stats.threads);
    CHECK(scan_count(&s, 10) == 1 && scan_count(&s, 11) == 1 && scan_count(&s, 12) == 0);
    /* The default options (NULL): every record once. */
    memset(&s, 0, sizeof s);
    s.max_workers = SCAN_MAX_WORKERS;
    CHECK_RC(eventlog_scan(log, EVENTLOG_OLDEST, EVENTLOG_LATEST, NULL, scan_visit, &s, NULL), EVENTLOG_OK);
    int wrong = 0;
    for (uint64_t o = 0; o < N; o++) wrong += scan_count(&s, o) != 1;
    CHECK(wrong == 0);
    CHECK_RC(eventlog_close(log), EVENTLOG_OK);
}

/* Every field of the structs a scan lends, for batches whose records have
 * no headers (lent without a copy) and batches with headers (copied with
 * their header structs): record o has key "k<o>" (none when o % 7 == 3),
 * value "r<o>" (a tombstone when o % 11 == 5), timestamp 1000 + o, and from
 * offset 200 on, two headers: "h" = "v<o>" and "n" with a NULL value. */
typedef struct scan_fields {
    int wrong[SCAN_MAX_WORKERS];
    int seen[SCAN_MAX_WORKERS];
} scan_fields;

static int scan_fields_visit(const eventlog_record *recs, size_t count, unsigned int worker, void *ctx) {
    scan_fields *f = ctx;
    for (size_t i = 0; i < count; i++) {
        const eventlog_record *r = &recs[i];
        uint64_t o = r->offset;
        char key[24], value[24], header[24];
        snprintf(key, sizeof key, "k%" PRIu64, o);
        snprintf(value, sizeof value, "r%" PRIu64, o);
        snprintf(header, sizeof header, "v%" PRIu64, o);
        int ok = same_bytes(r->key, r->key_len, o % 7 == 3 ? NULL : key, o % 7 == 3 ? 0 : strlen(key)) &&
                 same_bytes(r->value, r->value_len, o % 11 == 5 ? NULL : value, o % 11 == 5 ? 0 : strlen(value)) &&
                 r->timestamp == (int64_t)(1000 + o);
        if (o < 200)
            ok = ok && r->headers == NULL && r->header_count == 0;
        else
            ok = ok && r->header_count == 2 && r->headers != NULL &&
                 same_bytes(r->headers[0].key, r->headers[0].key_len, "h", 1) &&
                 same_bytes(r->headers[0].value, r->headers[0].value_len, header, strlen(header)) &&
                 same_bytes(r->headers[1].key, r->headers[1].key_len, "n", 1) && r->headers[1].value == NULL &&
                 r->headers[1].value_len == 0;
        f->wrong[worker] += !ok;
        f->seen[worker]++;
    }
    return 0;
}

static void test_scan_fields(void) {
    enum { N = 400 };
    eventlog_options opts = EVENTLOG_OPTIONS_INIT;
    opts.segment_bytes = 8192;
    opts.batch_max_bytes = 512;
    eventlog *log = open_log(path_for("scan_fields"), &opts);
    if (!CHECK(log != NULL)) return;
    for (uint64_t o = 0; o < N; o++) {
        char key[24], value[24], header[24];
        snprintf(key, sizeof key, "k%" PRIu64, o);
        snprintf(value, sizeof value, "r%" PRIu64, o);
        snprintf(header, sizeof header, "v%" PRIu64, o);
        eventlog_header headers[2] = {{.key = "h", .key_len = 1, .value = header, .value_len = strlen(header)},
                                      {.key = "n", .key_len = 1, .value = NULL, .value_len = 0}};
        eventlog_record rec = {.timestamp = (int64_t)(1000 + o),
                               .key = o % 7 == 3 ? NULL : key,
                               .key_len = o % 7 == 3 ? 0 : strlen(key),
                               .value = o % 11 == 5 ? NULL : value,
                               .value_len = o % 11 == 5 ? 0 : strlen(value),
                               .headers = o < 200 ? NULL : headers,
                               .header_count = o < 200 ? 0 : 2};
        CHECK_RC(eventlog_append(log, &rec, NULL), EVENTLOG_OK);
        /* Batches end at offset 200, so that those before hold no header. */
        if (o == 199) CHECK_RC(eventlog_flush(log), EVENTLOG_OK);
    }
    CHECK_RC(eventlog_flush(log), EVENTLOG_OK);
    for (unsigned threads = 1; threads <= 3; threads++) {
        static scan_fields f;
        memset(&f, 0, sizeof f);
        eventlog_scan_options so = EVENTLOG_SCAN_OPTIONS_INIT;
        so.threads = threads;
        so.piece_bytes = 1;
        CHECK_RC(eventlog_scan(log, EVENTLOG_OLDEST, EVENTLOG_LATEST, &so, scan_fields_visit, &f, NULL), EVENTLOG_OK);
        int wrong = 0, seen = 0;
        for (unsigned w = 0; w < SCAN_MAX_WORKERS; w++) wrong += f.wrong[w], seen += f.seen[w];
        CHECK(seen == N);
        CHECK(wrong == 0);
    }
    CHECK_RC(eventlog_close(log), EVENTLOG_OK);
}

static void test_scan_stops(void) {
    eventlog *log = open_scan_log(path_for("scan_stops"), 3000);
    if (!CHECK(log != NULL)) return;
    static scan_seen s;
    for (unsigned threads = 1; threads <= 4; threads *= 2) {
        memset(&s, 0, sizeof s);
        s.max_workers = threads;
        s.stop_after = 1;
        eventlog_scan_options opts = EVENTLOG_SCAN_OPTIONS_INIT;
        opts.threads = threads;
        opts.piece_bytes = 1;
        eventlog_scan_stats stats = EVENTLOG_SCAN_STATS_INIT;
        /* The callback's value comes back, and the message is left as it was. */
        eventlog_cursor_open(NULL, 0, NULL);
        if (!CHECK_RC(eventlog_scan(log, EVENTLOG_OLDEST, EVENTLOG_LATEST, &opts, scan_visit, &s, &stats), 42))
            fprintf(stderr, "    threads %u: %" PRIu64 " pieces\n", threads, stats.pieces);
        CHECK(mentions(eventlog_errmsg(), "out"));
        /* Every worker stops before its next batch: far from all was read. */
        CHECK(stats.records < 3000);
    }
    CHECK_RC(eventlog_close(log), EVENTLOG_OK);
}

/* Appends from the callback: the scan ends where the log ended when it
 * started. */
static int append_while_scanning(const eventlog_record *recs, size_t count, unsigned int worker, void *ctx) {
    (void)worker;
    eventlog *log = ctx;
    for (size_t i = 0; i < count; i++) {
        if (recs[i].offset >= 1000) return 7; /* appended meanwhile: must not be seen */
    }
    eventlog_record rec = kv("k", "meanwhile");
    eventlog_append(log, &rec, NULL);
    eventlog_flush(log);
    return 0;
}

static void test_scan_appends_meanwhile(void) {
    eventlog *log = open_scan_log(path_for("scan_meanwhile"), 1000);
    if (!CHECK(log != NULL)) return;
    eventlog_scan_options opts = EVENTLOG_SCAN_OPTIONS_INIT;
    opts.threads = 1;
    opts.piece_bytes = 1;
    eventlog_scan_stats stats = EVENTLOG_SCAN_STATS_INIT;
    CHECK_RC(eventlog_scan(log, EVENTLOG_OLDEST, EVENTLOG_LATEST, &opts, append_while_scanning, log, &stats),
             EVENTLOG_OK);
    CHECK(stats.records == 1000 && stats.end_offset == 1000);
    CHECK(eventlog_end_offset(log) > 1000);
    CHECK_RC(eventlog_close(log), EVENTLOG_OK);
}

static void test_scan_damage(void) {
    const char *dir = path_for("scan_damage");
    eventlog *log = open_scan_log(dir, 3000);
    if (!CHECK(log != NULL)) return;
    CHECK_RC(eventlog_close(log), EVENTLOG_OK);
    /* One byte of a record in the second segment flipped: its CRC fails. */
    char path[PATH_MAX];
    DIR *d = opendir(dir);
    char *names[256];
    int n = 0;
    for (struct dirent *e; d != NULL && (e = readdir(d)) != NULL && n < 256;)
        if (is_segment_name(e->d_name)) names[n++] = strdup(e->d_name);
    if (d) closedir(d);
    qsort(names, (size_t)n, sizeof names[0], compare_names);
    if (!CHECK(n >= 3)) return;
    snprintf(path, sizeof path, "%s/%s", dir, names[1]);
    FILE *f = fopen(path, "r+b");
    if (!CHECK(f != NULL)) return;
    fseek(f, 100, SEEK_SET);
    int c = fgetc(f);
    fseek(f, 100, SEEK_SET);
    fputc(c ^ 0x55, f);
    fclose(f);
    log = open_readonly(dir);
    if (!CHECK(log != NULL)) return;
    static scan_seen s;
    for (unsigned threads = 1; threads <= 4; threads *= 2) {
        memset(&s, 0, sizeof s);
        s.max_workers = threads;
        eventlog_scan_options opts = EVENTLOG_SCAN_OPTIONS_INIT;
        opts.threads = threads;
        opts.piece_bytes = 1;
        CHECK_RC(eventlog_scan(log, EVENTLOG_OLDEST, EVENTLOG_LATEST, &opts, scan_visit, &s, NULL),
                 EVENTLOG_ECORRUPT);
        CHECK(strstr(eventlog_errmsg(), names[1]) != NULL);
        CHECK(strstr(eventlog_errmsg(), "at byte") != NULL);
    }
    /* A range that avoids the damaged segment reads. */
    memset(&s, 0, sizeof s);
    s.max_workers = 1;
    CHECK_RC(eventlog_scan(log, 0, strtoull(names[1], NULL, 10), NULL, scan_visit, &s, NULL), EVENTLOG_OK);
    for (int i = 0; i < n; i++) free(names[i]);
    CHECK_RC(eventlog_close(log), EVENTLOG_OK);
}

static void test_scan_arguments(void) {
    eventlog *log = open_scan_log(path_for("scan_arguments"), 10);
    if (!CHECK(log != NULL)) return;
    static scan_seen s;
    s.max_workers = SCAN_MAX_WORKERS;
    eventlog_scan_options opts = EVENTLOG_SCAN_OPTIONS_INIT;
    eventlog_scan_stats stats = EVENTLOG_SCAN_STATS_INIT;
    CHECK_EINVAL_NAMING(eventlog_scan(NULL, 0, 10, &opts, scan_visit, &s, &stats), "log");
    CHECK_EINVAL_NAMING(eventlog_scan(log, 0, 10, &opts, NULL, &s, &stats), "visit");
    CHECK_EINVAL_NAMING(eventlog_scan(log, 10, 9, &opts, scan_visit, &s, &stats), "from");
    opts.threads = EVENTLOG_MAX_SCAN_THREADS + 1;
    CHECK_EINVAL_NAMING(eventlog_scan(log, 0, 10, &opts, scan_visit, &s, &stats), "threads");
    opts = (eventlog_scan_options)EVENTLOG_SCAN_OPTIONS_INIT;
    opts.version = 99;
    CHECK_RC(eventlog_scan(log, 0, 10, &opts, scan_visit, &s, &stats), EVENTLOG_EVERSION);
    CHECK(strstr(eventlog_errmsg(), "opts->version") != NULL);
    stats.version = 99;
    CHECK_RC(eventlog_scan(log, 0, 10, NULL, scan_visit, &s, &stats), EVENTLOG_EVERSION);
    CHECK(stats.version == 99);
    CHECK(strstr(eventlog_errmsg(), "stats_out->version") != NULL);
    /* An empty range, and one before the log start, are fine. */
    stats = (eventlog_scan_stats)EVENTLOG_SCAN_STATS_INIT;
    CHECK_RC(eventlog_scan(log, 5, 5, NULL, scan_visit, &s, &stats), EVENTLOG_OK);
    CHECK(stats.records == 0);
    CHECK_RC(eventlog_scan(log, 20, EVENTLOG_LATEST, NULL, scan_visit, &s, &stats), EVENTLOG_OK);
    CHECK(stats.records == 0);
    CHECK_RC(eventlog_close(log), EVENTLOG_OK);
}


/* Writes `records` records over `keys` keys (record i has key i % keys and
 * value i) in small segments, and closes the log. */
static void write_keyed_log(const char *dir, int records, int keys) {
    eventlog_options opts = EVENTLOG_OPTIONS_INIT;
    opts.segment_bytes = 64 * 1024;
    opts.batch_max_bytes = 8 * 1024;
    eventlog *log = open_log(dir, &opts);
    if (!CHECK(log != NULL)) return;
    for (int i = 0; i < records; i++) {
        char key[32], value[16];
        eventlog_record rec = {0};
        rec.key = key;
        rec.key_len = (size_t)snprintf(key, sizeof key, "key-%06d-padding-padding", i % keys);
        rec.value = value;
        rec.value_len = (size_t)snprintf(value, sizeof value, "%d", i);
        if (!CHECK_RC(eventlog_append(log, &rec, NULL), EVENTLOG_OK)) break;
    }
    CHECK_RC(eventlog_close(log), EVENTLOG_OK);
}

/* Reads the whole log: how many records, and whether each key's latest
 * value (the highest i with i % keys == key) is among them. */
static int count_records(const char *dir, int records, int keys, int *latest_found) {
    eventlog *log = open_log(dir, NULL);
    eventlog_cursor *cur = NULL;
    int count = 0;
    *latest_found = 0;
    if (log && CHECK_RC(eventlog_cursor_open(log, EVENTLOG_OLDEST, &cur), EVENTLOG_OK)) {
        eventlog_record rec;
        while (eventlog_cursor_next(cur, 0, &rec) == EVENTLOG_OK) {
            count++;
            char value[16] = {0};
            memcpy(value, rec.value, rec.value_len < 15 ? rec.value_len : 15);
            if (atoi(value) >= records - keys) (*latest_found)++;
        }
        eventlog_cursor_close(cur);
    }
    if (log) eventlog_close(log);
    return count;
}

/* Compaction through the options of version 2: a dry run changes nothing
 * and says what would go; a memory budget too small for every key gives
 * the same log in several passes; unknown flags and a budget below the
 * minimum are refused by name. */
static void test_compact_options(void) {
    enum { RECORDS = 40000, KEYS = 20000 };
    const char *dir = path_for("compact_options");
    write_keyed_log(dir, RECORDS, KEYS);
    int latest = 0;
    CHECK(count_records(dir, RECORDS, KEYS, &latest) == RECORDS);

    eventlog_compact_options opts = EVENTLOG_COMPACT_OPTIONS_INIT;
    eventlog_compact_stats stats = EVENTLOG_COMPACT_STATS_INIT;
    opts.flags = 0x80;
    CHECK_EINVAL_NAMING(eventlog_compact(dir, &opts, &stats), "flags");
    opts.flags = 0;
    opts.memory_budget = EVENTLOG_COMPACT_MIN_MEMORY_BUDGET - 1;
    CHECK_EINVAL_NAMING(eventlog_compact(dir, &opts, &stats), "memory_budget");
    opts.memory_budget = 0;
    opts.threads = 257;
    CHECK_EINVAL_NAMING(eventlog_compact(dir, &opts, &stats), "threads");
    opts.threads = 1; /* the dry run on one thread, the compaction on all */

    opts.memory_budget = 0;
    opts.flags = EVENTLOG_COMPACT_DRY_RUN;
    CHECK_RC(eventlog_compact(dir, &opts, &stats), EVENTLOG_OK);
    CHECK(stats.version == EVENTLOG_COMPACT_STATS_VERSION);
    CHECK(stats.records_after < stats.records_before && stats.passes == 1 && stats.keys == KEYS);
    CHECK(stats.segments_before > 1 && stats.segments_rewritten > 0);
    CHECK(count_records(dir, RECORDS, KEYS, &latest) == RECORDS); /* nothing changed */
    uint64_t predicted = stats.records_after;

    opts.flags = EVENTLOG_COMPACT_WAIT;
    opts.threads = 0;
    opts.memory_budget = EVENTLOG_COMPACT_MIN_MEMORY_BUDGET;
    CHECK_RC(eventlog_compact(dir, &opts, &stats), EVENTLOG_OK);
    CHECK(stats.passes > 1);
    if (!CHECK(stats.records_after == predicted))
        fprintf(stderr, "    records before %" PRIu64 ", after %" PRIu64 ", predicted %" PRIu64 ", passes %" PRIu64
                ", segments %" PRIu64 " -> %" PRIu64 "\n",
                stats.records_before, stats.records_after, predicted, stats.passes, stats.segments_before,
                stats.segments_after);
    int left = count_records(dir, RECORDS, KEYS, &latest);
    CHECK(latest == KEYS); /* every key's latest record stayed */
    CHECK((uint64_t)(RECORDS - left) == stats.records_before - stats.records_after);
}

/* A caller compiled with version 1 of the compaction structs: the library
 * reads and writes no byte past their end. */
static void test_compact_version_1_structs(void) {
    struct {
        unsigned int version;
        int64_t delete_retention_ms;
        unsigned char after[32];
    } opts_v1 = {1, 0, {0}};
    memset(opts_v1.after, 0xFF, sizeof opts_v1.after); /* would be unknown flags */
    struct {
        unsigned int version;
        uint64_t records_before, records_after, bytes_before, bytes_after;
        unsigned char after[64];
    } stats_v1 = {1, 0, 0, 0, 0, {0}};
    memset(stats_v1.after, 0xA5, sizeof stats_v1.after);
    const char *dir = path_for("compact_v1");
    write_keyed_log(dir, 20000, 100);
    CHECK_RC(eventlog_compact(dir, (const eventlog_compact_options *)(void *)&opts_v1,
                              (eventlog_compact_stats *)(void *)&stats_v1),
             EVENTLOG_OK);
    CHECK(stats_v1.version == 1 && stats_v1.records_before > 0);
    CHECK(stats_v1.records_after < stats_v1.records_before);
    int untouched = 1;
    for (size_t i = 0; i < sizeof stats_v1.after; i++) untouched &= stats_v1.after[i] == 0xA5;
    CHECK(untouched);
}

static const struct test {
    const char *name;
    void (*run)(void);
} tests[] = {
    {"version", test_version},
    {"strerror", test_strerror},
    {"options_init", test_options_init},
    {"compact_options", test_compact_options},
    {"compact_version_1_structs", test_compact_version_1_structs},
    {"open_creates_directory", test_open_creates_directory},
    {"append_read_back_exact", test_append_read_back_exact},
    {"append_batch_threads", test_append_batch_threads},
    {"seek", test_seek},
    {"seek_time", test_seek_time},
    {"next_batch", test_next_batch},
    {"next_batch_headers", test_next_batch_headers},
    {"timeouts", test_timeouts},
    {"reopen", test_reopen},
    {"writer_lock", test_writer_lock},
    {"readonly", test_readonly},
    {"cursor_of_closed_log", test_cursor_of_closed_log},
    {"null_arguments", test_null_arguments},
    {"invalid_records", test_invalid_records},
    {"bad_options", test_bad_options},
    {"segment_roll", test_segment_roll},
    {"named_cursors", test_named_cursors},
    {"errmsg", test_errmsg},
    {"verify", test_verify},
    {"retention", test_retention},
    {"cursor_behind_retention", test_cursor_behind_retention},
    {"recover", test_recover},
    {"info", test_info},
    {"cursor_list_delete", test_cursor_list_delete},
    {"scan", test_scan},
    {"scan_fields", test_scan_fields},
    {"scan_stops", test_scan_stops},
    {"scan_appends_meanwhile", test_scan_appends_meanwhile},
    {"scan_damage", test_scan_damage},
    {"scan_arguments", test_scan_arguments},
};

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

/* Runs one test in this process: `test_api --run NAME ROOT`. */
static int run_one(const char *name) {
    for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++) {
        if (strcmp(tests[i].name, name) != 0) continue;
        current_test = name;
        signal(SIGALRM, on_alarm);
        alarm(60);
        tests[i].run();
        return failed_checks ? 1 : 0;
    }
    fprintf(stderr, "test_api: no test named %s\n", name);
    return 2;
}

/* Each test runs in a process of its own, so that a crash or a hang is
 * reported against that test and the others still run. */
static int spawn_one(const char *self, const char *name) {
    char *argv[] = {(char *)self, "--run", (char *)name, root, NULL};
    pid_t child;
    int status;
    if (posix_spawn(&child, self, NULL, NULL, argv, environ) != 0 || waitpid(child, &status, 0) < 0) {
        perror("test_api: posix_spawn");
        return 0;
    }
    if (WIFSIGNALED(status)) {
        printf("FAIL %s (killed by signal %d)\n", name, WTERMSIG(status));
        return 0;
    }
    printf("%s %s\n", WEXITSTATUS(status) == 0 ? "ok  " : "FAIL", name);
    return WEXITSTATUS(status) == 0;
}

int main(int argc, char **argv) {
    if (argc == 3 && strcmp(argv[1], "--try-open") == 0) return try_open_child(argv[2]);
    if (argc == 4 && strcmp(argv[1], "--run") == 0) {
        snprintf(root, sizeof root, "%s", argv[3]);
        return run_one(argv[2]);
    }

    char self[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    if (len <= 0) {
        perror("test_api: /proc/self/exe");
        return 1;
    }
    self[len] = '\0';
    const char *tmp = getenv("TMPDIR");
    snprintf(root, sizeof root, "%s/eventlog-test_api-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (mkdtemp(root) == NULL) {
        perror("test_api: mkdtemp");
        return 1;
    }

    int passed = 0, failed = 0;
    for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++) {
        int wanted = argc < 2;
        for (int a = 1; a < argc; a++) wanted |= strcmp(argv[a], tests[i].name) == 0;
        if (!wanted) continue;
        fflush(stdout);
        if (spawn_one(self, tests[i].name)) passed++;
        else failed++;
        fflush(stdout);
    }
    if (failed == 0)
        nftw(root, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    else
        printf("logs kept in %s\n", root);
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
