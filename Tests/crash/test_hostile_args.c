/* SPDX-License-Identifier: Apache-2.0 */
/* Every C entry point called with what a careless or hostile caller might
 * pass: NULL pointers, zero and huge lengths and counts, out-of-range enum
 * values and options, offsets far before and after the log, cursor names
 * that try to leave the directory, paths that are files or missing, and
 * cursors whose log was closed. Each call must return an error code (never
 * crash) and leave a message in eventlog_errmsg that names the argument,
 * file or offset concerned. Built also with AddressSanitizer and
 * UndefinedBehaviorSanitizer (see CMakeLists.txt).
 *
 *   test_hostile_args [SCRATCH_DIR]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "eventlog.h"

static int failures;
static char scratch[4096];

#define EXPECT(cond)                                                              \
    do {                                                                          \
        if (!(cond)) {                                                            \
            fprintf(stderr, "%s:%d: expected %s\n", __FILE__, __LINE__, #cond);  \
            failures++;                                                           \
        }                                                                         \
    } while (0)

/* rc must be `want`, and the message must mention `mention`. */
#define EXPECT_ERR(call, want, mention) expect_err((call), (want), (mention), #call, __LINE__)

static void expect_err(int rc, int want, const char *mention, const char *text, int line) {
    const char *msg = eventlog_errmsg();
    if (rc != want) {
        fprintf(stderr, "%s:%d: %s returned %d (%s), expected %d (%s); message: %s\n", __FILE__, line, text, rc,
                eventlog_strerror(rc), want, eventlog_strerror(want), msg);
        failures++;
    } else if (msg == NULL || msg[0] == '\0' || (mention && !strstr(msg, mention))) {
        fprintf(stderr, "%s:%d: %s: message \"%s\" does not mention \"%s\"\n", __FILE__, line, text,
                msg ? msg : "(null)", mention ? mention : "");
        failures++;
    }
}

static const char *path(const char *name) {
    static char buffers[8][4096];
    static int next;
    char *p = buffers[next++ % 8];
    snprintf(p, 4096, "%s/%s", scratch, name);
    return p;
}

static eventlog *open_log(const char *dir) {
    eventlog *log = NULL;
    int rc = eventlog_open(dir, NULL, &log);
    if (rc != EVENTLOG_OK) {
        fprintf(stderr, "cannot open %s: %s\n", dir, eventlog_errmsg());
        exit(1);
    }
    return log;
}

static void test_open_arguments(void) {
    eventlog *log = (eventlog *)0x1;
    EXPECT_ERR(eventlog_open(NULL, NULL, &log), EVENTLOG_EINVAL, "dir");
    EXPECT(log == NULL);
    EXPECT_ERR(eventlog_open(path("x"), NULL, NULL), EVENTLOG_EINVAL, "out");
    EXPECT_ERR(eventlog_open("", NULL, &log), EVENTLOG_EINVAL, "dir");

    eventlog_options opts;
    eventlog_options_init(&opts);
    opts.version = 99;
    EXPECT_ERR(eventlog_open(path("v"), &opts, &log), EVENTLOG_EVERSION, "version");
    eventlog_options_init(&opts);
    opts.version = 0;
    EXPECT_ERR(eventlog_open(path("v"), &opts, &log), EVENTLOG_EVERSION, "version");

}

/* One small setter per bad option. */
static void bad_segment_small(eventlog_options *o) { o->segment_bytes = 100; }
static void bad_segment_huge(eventlog_options *o) { o->segment_bytes = UINT64_MAX; }
static void bad_compression(eventlog_options *o) { o->compression = 77; }
static void bad_compression_negative(eventlog_options *o) { o->compression = -1; }
static void bad_sync_mode(eventlog_options *o) { o->sync_mode = 99; }
static void bad_flags(eventlog_options *o) { o->flags = 0x80; }
static void bad_file_mode(eventlog_options *o) { o->file_mode = 010000; }
static void bad_retention(eventlog_options *o) { o->retention_ms = -5; }

static void test_bad_options(void) {
    static const struct {
        void (*set)(eventlog_options *);
        const char *mention;
    } cases[] = {
        {bad_segment_small, "segment_bytes"}, {bad_segment_huge, "segment_bytes"},
        {bad_compression, "compression"},     {bad_compression_negative, "compression"},
        {bad_sync_mode, "sync_mode"},         {bad_flags, "flags"},
        {bad_file_mode, "file_mode"},         {bad_retention, "retention_ms"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        eventlog_options opts;
        eventlog_options_init(&opts);
        cases[i].set(&opts);
        eventlog *log = (eventlog *)0x1;
        EXPECT_ERR(eventlog_open(path("opts"), &opts, &log), EVENTLOG_EINVAL, cases[i].mention);
        EXPECT(log == NULL);
    }
}

static int visit_segment(const eventlog_segment_info *segment, void *ctx) {
    (void)segment, (void)ctx;
    return 0;
}

static int visit_cursor(const eventlog_cursor_info *cursor, void *ctx) {
    (void)cursor, (void)ctx;
    return 0;
}

static void test_bad_paths(void) {
    eventlog *log = NULL;
    FILE *f = fopen(path("a-file"), "w");
    if (f) fclose(f);
    EXPECT_ERR(eventlog_open(path("a-file"), NULL, &log), EVENTLOG_EINVAL, "a-file");
    EXPECT_ERR(eventlog_open(path("missing/deeper/log"), NULL, &log), EVENTLOG_ENOENT, "missing");
    eventlog_options ro;
    eventlog_options_init(&ro);
    ro.flags = EVENTLOG_OPEN_READONLY;
    EXPECT_ERR(eventlog_open(path("missing-ro"), &ro, &log), EVENTLOG_ENOENT, "missing-ro");
    EXPECT(access(path("missing-ro"), F_OK) != 0);
    EXPECT_ERR(eventlog_open(path("a-file"), &ro, &log), EVENTLOG_EINVAL, "a-file");
    char longpath[8192];
    memset(longpath, 'a', sizeof longpath - 1);
    longpath[sizeof longpath - 1] = '\0';
    int rc = eventlog_open(longpath, NULL, &log);
    EXPECT(rc < 0 && log == NULL && eventlog_errmsg()[0] != '\0');

    eventlog_verify_report report = EVENTLOG_VERIFY_REPORT_INIT;
    memset(&report.segments, 0xA5, sizeof report - offsetof(eventlog_verify_report, segments));
    EXPECT_ERR(eventlog_verify(NULL, &report), EVENTLOG_EINVAL, "dir");
    EXPECT(report.segments == 0 && report.records == 0);
    EXPECT_ERR(eventlog_verify("", NULL), EVENTLOG_EINVAL, "dir");
    EXPECT_ERR(eventlog_verify(path("missing"), &report), EVENTLOG_ENOENT, "missing");
    EXPECT_ERR(eventlog_verify(path("a-file"), NULL), EVENTLOG_EINVAL, "a-file");
    EXPECT(eventlog_verify(longpath, NULL) < 0);
    EXPECT_ERR(eventlog_compact(NULL, NULL, NULL), EVENTLOG_EINVAL, "dir");
    EXPECT(eventlog_compact(path("missing"), NULL, NULL) < 0);

    eventlog_retention_options retention = EVENTLOG_RETENTION_OPTIONS_INIT;
    eventlog_log_info info = EVENTLOG_LOG_INFO_INIT;
    EXPECT_ERR(eventlog_retention(path("a-file"), &retention, NULL), EVENTLOG_EINVAL, "a-file");
    EXPECT(eventlog_retention(longpath, &retention, NULL) < 0);
    EXPECT_ERR(eventlog_recover(path("a-file"), NULL, NULL), EVENTLOG_EINVAL, "a-file");
    EXPECT(eventlog_recover(longpath, NULL, NULL) < 0);
    EXPECT_ERR(eventlog_info(path("a-file"), &info), EVENTLOG_EINVAL, "a-file");
    EXPECT(eventlog_info(longpath, &info) < 0);
    EXPECT_ERR(eventlog_segments(path("a-file"), visit_segment, NULL), EVENTLOG_EINVAL, "a-file");
    EXPECT(eventlog_segments(longpath, visit_segment, NULL) < 0);
    EXPECT_ERR(eventlog_cursor_list(path("a-file"), visit_cursor, NULL), EVENTLOG_EINVAL, "a-file");
    EXPECT(eventlog_cursor_list(longpath, visit_cursor, NULL) < 0);
    EXPECT_ERR(eventlog_cursor_delete(path("a-file"), "reader"), EVENTLOG_EINVAL, "a-file");
    EXPECT(eventlog_cursor_delete(longpath, "reader") < 0);
}

static void test_append_arguments(void) {
    eventlog *log = open_log(path("append"));
    static const unsigned char byte = 7;
    eventlog_record rec;
    eventlog_header header;
    uint64_t offset = 12345;

    EXPECT_ERR(eventlog_append(NULL, &rec, NULL), EVENTLOG_EINVAL, "log");
    EXPECT_ERR(eventlog_append(log, NULL, NULL), EVENTLOG_EINVAL, "rec");

    memset(&rec, 0, sizeof rec);
    rec.key_len = 5;
    EXPECT_ERR(eventlog_append(log, &rec, NULL), EVENTLOG_EINVAL, "key");
    memset(&rec, 0, sizeof rec);
    rec.value_len = 5;
    EXPECT_ERR(eventlog_append(log, &rec, NULL), EVENTLOG_EINVAL, "value");
    memset(&rec, 0, sizeof rec);
    rec.timestamp = -2;
    EXPECT_ERR(eventlog_append(log, &rec, NULL), EVENTLOG_EINVAL, "timestamp");
    memset(&rec, 0, sizeof rec);
    rec.header_count = 1;
    EXPECT_ERR(eventlog_append(log, &rec, NULL), EVENTLOG_EINVAL, "headers");
    memset(&header, 0, sizeof header);
    rec.headers = &header;
    EXPECT_ERR(eventlog_append(log, &rec, NULL), EVENTLOG_EINVAL, "key");
    header.key = "k";
    header.value_len = 3;
    EXPECT_ERR(eventlog_append(log, &rec, NULL), EVENTLOG_EINVAL, "value");

    /* Huge lengths: refused by size before any byte is read. */
    memset(&rec, 0, sizeof rec);
    rec.value = &byte;
    rec.value_len = (size_t)EVENTLOG_MAX_RECORD_BYTES + 1;
    EXPECT_ERR(eventlog_append(log, &rec, NULL), EVENTLOG_ETOOBIG, "exceed");
    rec.value_len = SIZE_MAX;
    EXPECT_ERR(eventlog_append(log, &rec, NULL), EVENTLOG_ETOOBIG, NULL);
    rec.value_len = SIZE_MAX / 2 + 7;
    EXPECT_ERR(eventlog_append(log, &rec, NULL), EVENTLOG_ETOOBIG, NULL);
    memset(&rec, 0, sizeof rec);
    rec.key = &byte;
    rec.key_len = SIZE_MAX;
    EXPECT_ERR(eventlog_append(log, &rec, NULL), EVENTLOG_ETOOBIG, NULL);
    /* Key and value each under the limit, together over it. */
    rec.key_len = EVENTLOG_MAX_RECORD_BYTES / 2 + 1;
    rec.value = &byte;
    rec.value_len = EVENTLOG_MAX_RECORD_BYTES / 2 + 1;
    EXPECT_ERR(eventlog_append(log, &rec, NULL), EVENTLOG_ETOOBIG, NULL);
    memset(&rec, 0, sizeof rec);
    memset(&header, 0, sizeof header);
    header.key = "k";
    header.key_len = SIZE_MAX;
    rec.headers = &header;
    rec.header_count = 1;
    EXPECT_ERR(eventlog_append(log, &rec, NULL), EVENTLOG_ETOOBIG, NULL);
    header.key_len = 1;
    header.value = &byte;
    header.value_len = SIZE_MAX - 1;
    EXPECT_ERR(eventlog_append(log, &rec, NULL), EVENTLOG_ETOOBIG, NULL);
    /* A header count no record can have: refused before any header is read. */
    header.value_len = 1;
    rec.header_count = SIZE_MAX;
    EXPECT_ERR(eventlog_append(log, &rec, NULL), EVENTLOG_ETOOBIG, "header");
    rec.header_count = (size_t)EVENTLOG_MAX_RECORD_BYTES + 1;
    EXPECT_ERR(eventlog_append(log, &rec, NULL), EVENTLOG_ETOOBIG, "header");

    /* Nothing above was taken. */
    EXPECT(eventlog_end_offset(log) == 0);

    /* append_batch: count 0 appends nothing; NULL records with a count. */
    EXPECT(eventlog_append_batch(log, NULL, 0, &offset) == EVENTLOG_OK && offset == 0);
    EXPECT_ERR(eventlog_append_batch(log, NULL, 3, NULL), EVENTLOG_EINVAL, "recs");
    EXPECT_ERR(eventlog_append_batch(NULL, &rec, 1, NULL), EVENTLOG_EINVAL, "log");
    eventlog_record batch[3];
    memset(batch, 0, sizeof batch);
    batch[2].value_len = 9; /* NULL value with a length: the whole batch is refused */
    EXPECT_ERR(eventlog_append_batch(log, batch, 3, NULL), EVENTLOG_EINVAL, "recs[2]");
    EXPECT(eventlog_end_offset(log) == 0);

    /* Empty key and value (not NULL) are fine. */
    memset(&rec, 0, sizeof rec);
    rec.key = "";
    rec.value = "";
    EXPECT(eventlog_append(log, &rec, &offset) == EVENTLOG_OK && offset == 0);
    EXPECT_ERR(eventlog_flush(NULL), EVENTLOG_EINVAL, "log");
    EXPECT_ERR(eventlog_sync(NULL), EVENTLOG_EINVAL, "log");
    EXPECT(eventlog_sync(log) == EVENTLOG_OK);
    EXPECT(eventlog_end_offset(NULL) == 0);
    EXPECT(eventlog_start_offset(NULL) == 0);

    /* A second writer, and writes to a read-only handle. */
    eventlog *second = NULL;
    EXPECT_ERR(eventlog_open(path("append"), NULL, &second), EVENTLOG_EBUSY, "process");
    eventlog_options ro;
    eventlog_options_init(&ro);
    ro.flags = EVENTLOG_OPEN_READONLY;
    eventlog *reader = NULL;
    EXPECT(eventlog_open(path("append"), &ro, &reader) == EVENTLOG_OK);
    EXPECT_ERR(eventlog_append(reader, &rec, NULL), EVENTLOG_EREADONLY, "read-only");
    EXPECT_ERR(eventlog_flush(reader), EVENTLOG_EREADONLY, "read-only");
    EXPECT_ERR(eventlog_sync(reader), EVENTLOG_EREADONLY, "read-only");
    EXPECT(eventlog_close(reader) == EVENTLOG_OK);
    EXPECT(eventlog_close(log) == EVENTLOG_OK);
    EXPECT(eventlog_close(NULL) == EVENTLOG_OK);
}

static void test_cursor_arguments(void) {
    eventlog *log = open_log(path("cursor"));
    eventlog_record rec, out[4];
    memset(&rec, 0, sizeof rec);
    for (int i = 0; i < 10; i++) EXPECT(eventlog_append(log, &rec, NULL) == EVENTLOG_OK);
    EXPECT(eventlog_flush(log) == EVENTLOG_OK);

    eventlog_cursor *cur = (eventlog_cursor *)0x1;
    EXPECT_ERR(eventlog_cursor_open(NULL, 0, &cur), EVENTLOG_EINVAL, "log");
    EXPECT(cur == NULL);
    EXPECT_ERR(eventlog_cursor_open(log, 0, NULL), EVENTLOG_EINVAL, "out");
    /* Offsets past the end, and far past (>= 2^63), position at the end. */
    static const uint64_t far[] = {10, 11, UINT64_C(1) << 40, (UINT64_C(1) << 63) - 1, UINT64_C(1) << 63,
                                   UINT64_MAX - 2, EVENTLOG_LATEST};
    for (size_t i = 0; i < sizeof far / sizeof far[0]; i++) {
        EXPECT(eventlog_cursor_open(log, far[i], &cur) == EVENTLOG_OK);
        EXPECT(eventlog_cursor_next(cur, 0, out) == EVENTLOG_END);
        EXPECT(eventlog_cursor_seek(cur, 3) == EVENTLOG_OK);
        EXPECT(eventlog_cursor_next(cur, 0, out) == EVENTLOG_OK && out[0].offset == 3);
        eventlog_cursor_close(cur);
    }
    EXPECT(eventlog_cursor_open(log, EVENTLOG_OLDEST, &cur) == EVENTLOG_OK);
    EXPECT_ERR(eventlog_cursor_seek(NULL, 0), EVENTLOG_EINVAL, "cur");
    EXPECT_ERR(eventlog_cursor_seek_time(NULL, 0), EVENTLOG_EINVAL, "cur");
    EXPECT(eventlog_cursor_seek_time(cur, INT64_MIN) == EVENTLOG_OK);
    EXPECT(eventlog_cursor_next(cur, 0, out) == EVENTLOG_OK && out[0].offset == 0);
    EXPECT(eventlog_cursor_seek_time(cur, INT64_MAX) == EVENTLOG_OK);
    EXPECT(eventlog_cursor_next(cur, 0, out) == EVENTLOG_END);
    EXPECT_ERR(eventlog_cursor_next(NULL, 0, out), EVENTLOG_EINVAL, "cur");
    EXPECT_ERR(eventlog_cursor_next(cur, 0, NULL), EVENTLOG_EINVAL, "out");
    EXPECT_ERR(eventlog_cursor_next(cur, -2, out), EVENTLOG_EINVAL, "timeout");
    EXPECT_ERR(eventlog_cursor_next(cur, INT32_MIN, out), EVENTLOG_EINVAL, "timeout");
    size_t count = 99;
    EXPECT_ERR(eventlog_cursor_next_batch(cur, 0, out, 0, &count), EVENTLOG_EINVAL, "capacity");
    EXPECT(count == 0);
    EXPECT_ERR(eventlog_cursor_next_batch(cur, 0, NULL, 4, &count), EVENTLOG_EINVAL, "out");
    EXPECT_ERR(eventlog_cursor_next_batch(cur, 0, out, 4, NULL), EVENTLOG_EINVAL, "count_out");
    EXPECT_ERR(eventlog_cursor_next_batch(NULL, 0, out, 4, &count), EVENTLOG_EINVAL, "cur");
    EXPECT_ERR(eventlog_cursor_commit(NULL), EVENTLOG_EINVAL, "cur");
    EXPECT_ERR(eventlog_cursor_commit(cur), EVENTLOG_EINVAL, "named");
    EXPECT(eventlog_cursor_offset(NULL) == 0);
    eventlog_cursor_close(NULL);

    /* Names that would leave the directory, or are not names at all. */
    static const char *bad_names[] = {"../x", "..", ".", "/etc/passwd", "a/b", ".hidden", "", "x\n", "\xc3\xa9",
                                      "-dash", "a b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"};
    for (size_t i = 0; i < sizeof bad_names / sizeof bad_names[0]; i++) {
        eventlog_cursor *named = (eventlog_cursor *)0x1;
        EXPECT_ERR(eventlog_cursor_open_named(log, bad_names[i], 0, &named), EVENTLOG_EINVAL, "name");
        EXPECT(named == NULL);
    }
    eventlog_cursor *unnamed = NULL;
    EXPECT_ERR(eventlog_cursor_open_named(log, NULL, 0, &unnamed), EVENTLOG_EINVAL, "name");
    EXPECT(access(path("x"), F_OK) != 0 && access(path("cursor/x"), F_OK) != 0);

    /* A cursor whose log was closed answers ECLOSED, and can still be closed. */
    eventlog_cursor *orphan = NULL;
    EXPECT(eventlog_cursor_open_named(log, "orphan", 0, &orphan) == EVENTLOG_OK);
    EXPECT(eventlog_cursor_next(orphan, 0, out) == EVENTLOG_OK);
    eventlog_cursor_close(cur);
    EXPECT(eventlog_close(log) == EVENTLOG_OK);
    EXPECT_ERR(eventlog_cursor_next(orphan, 0, out), EVENTLOG_ECLOSED, "closed");
    EXPECT_ERR(eventlog_cursor_next(orphan, 100, out), EVENTLOG_ECLOSED, "closed");
    EXPECT_ERR(eventlog_cursor_next_batch(orphan, -1, out, 4, &count), EVENTLOG_ECLOSED, "closed");
    EXPECT_ERR(eventlog_cursor_seek(orphan, 0), EVENTLOG_ECLOSED, "closed");
    EXPECT_ERR(eventlog_cursor_seek_time(orphan, 0), EVENTLOG_ECLOSED, "closed");
    (void)eventlog_cursor_offset(orphan);
    eventlog_cursor_close(orphan);
}

static void test_library_calls(void) {
    EXPECT(eventlog_version() != NULL && strchr(eventlog_version(), '.') != NULL);
    static const int codes[] = {0, 1, -1, -14, -15, 2, -1000, INT32_MIN, INT32_MAX};
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        const char *text = eventlog_strerror(codes[i]);
        EXPECT(text != NULL && text[0] != '\0');
    }
    EXPECT(eventlog_errmsg() != NULL);
    eventlog_options_init(NULL);
}

int main(int argc, char **argv) {
    if (argc > 1) {
        snprintf(scratch, sizeof scratch, "%s", argv[1]);
    } else {
        snprintf(scratch, sizeof scratch, "%s/eventlog-hostile-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
        if (!mkdtemp(scratch)) {
            perror("mkdtemp");
            return 1;
        }
    }
    mkdir(scratch, 0755);
    test_open_arguments();
    test_bad_options();
    test_bad_paths();
    test_append_arguments();
    test_cursor_arguments();
    test_library_calls();
    if (failures) {
        fprintf(stderr, "%d failures (scratch directory %s)\n", failures, scratch);
        return 1;
    }
    char command[4200];
    snprintf(command, sizeof command, "rm -rf '%s'", scratch);
    if (argc <= 1 && system(command) != 0) fprintf(stderr, "could not remove %s\n", scratch);
    printf("hostile arguments: all calls returned errors with messages, no crash\n");
    return 0;
}
