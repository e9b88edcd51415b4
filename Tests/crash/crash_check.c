/* SPDX-License-Identifier: Apache-2.0 */
/* Checks a log after its writer was killed:
 *
 *   crash_check DIR ACKED readonly   read-only open: no recovery yet
 *   crash_check DIR ACKED writable   writable open (recovery), then close
 *                                    and eventlog_verify
 *
 * Every offset below ACKED (acknowledged as durable) must be present with
 * exactly its bytes; records are read from offset 0 with no gap; whatever
 * else is there (written but not yet acknowledged) must be exact too, so
 * nothing beyond is garbage; a writable open must continue at the offset
 * after the last record. Prints "OK <records> <open ms>" or the failure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crash_records.h"

static struct crash_storage storage;

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int fail(const char *what, int rc) {
    printf("FAIL %s: %s (%s)\n", what, eventlog_strerror(rc), eventlog_errmsg());
    return 1;
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: crash_check DIR ACKED readonly|writable\n");
        return 64;
    }
    const char *dir = argv[1];
    uint64_t acked = strtoull(argv[2], NULL, 10);
    int writable = strcmp(argv[3], "writable") == 0;

    eventlog_options opts;
    eventlog_options_init(&opts);
    opts.segment_bytes = 256u << 10;
    if (!writable) opts.flags = EVENTLOG_OPEN_READONLY;
    eventlog *log = NULL;
    double started = now_ms();
    int rc = eventlog_open(dir, &opts, &log);
    double open_ms = now_ms() - started;
    if (rc != EVENTLOG_OK) return fail("eventlog_open", rc);
    if (eventlog_start_offset(log) != 0) {
        printf("FAIL start offset %llu, not 0\n", (unsigned long long)eventlog_start_offset(log));
        return 1;
    }

    eventlog_cursor *cur = NULL;
    if ((rc = eventlog_cursor_open(log, EVENTLOG_OLDEST, &cur)) != EVENTLOG_OK) return fail("eventlog_cursor_open", rc);
    static eventlog_record records[256];
    uint64_t expected = 0;
    for (;;) {
        size_t count = 0;
        rc = eventlog_cursor_next_batch(cur, 0, records, 256, &count);
        if (rc == EVENTLOG_END) break;
        if (rc != EVENTLOG_OK) return fail("eventlog_cursor_next_batch", rc);
        for (size_t i = 0; i < count; i++) {
            if (records[i].offset != expected) {
                printf("FAIL offset %llu read where %llu was expected\n", (unsigned long long)records[i].offset,
                       (unsigned long long)expected);
                return 1;
            }
            if (!crash_record_matches(&records[i], &storage)) {
                printf("FAIL record %llu differs from what was appended\n", (unsigned long long)expected);
                return 1;
            }
            expected++;
        }
    }
    eventlog_cursor_close(cur);
    if (expected < acked) {
        printf("FAIL only %llu records, but %llu were acknowledged as durable\n", (unsigned long long)expected,
               (unsigned long long)acked);
        return 1;
    }
    if (writable && eventlog_end_offset(log) != expected) {
        printf("FAIL end offset %llu after %llu records\n", (unsigned long long)eventlog_end_offset(log),
               (unsigned long long)expected);
        return 1;
    }
    if ((rc = eventlog_close(log)) != EVENTLOG_OK) return fail("eventlog_close", rc);
    /* A killed writer's torn tail is counted but is not a problem; after a
     * writable open and close there is none. */
    eventlog_verify_report report = EVENTLOG_VERIFY_REPORT_INIT;
    if ((rc = eventlog_verify(dir, &report)) != EVENTLOG_OK) return fail("eventlog_verify", rc);
    if (writable) {
        if (report.records != expected || report.truncated_bytes != 0) {
            printf("FAIL verify counts %llu records, %llu truncated bytes\n", (unsigned long long)report.records,
                   (unsigned long long)report.truncated_bytes);
            return 1;
        }
    }
    printf("OK %llu %.3f\n", (unsigned long long)expected, open_ms);
    return 0;
}
