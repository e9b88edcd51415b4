/* SPDX-License-Identifier: Apache-2.0 */
/* The process the crash test kills. It opens the log in DIR (recovering
 * it if the last writer was killed), appends the records of crash_records.h
 * from the log's end offset on, in batches of 1 to 64 records, and after
 * each batch makes it durable, then reports on stdout, one line each,
 *   ACK <offset after the last durable record>
 * with write(2), so nothing sits in a stdio buffer when SIGKILL comes.
 * Modes: "batch" opens with EVENTLOG_SYNC_BATCH and calls eventlog_flush;
 * "sync" opens with EVENTLOG_SYNC_NONE and calls eventlog_sync.
 *
 *   crash_writer DIR batch|sync SEED      append until killed
 *   crash_writer DIR bulk MEGABYTES       append MEGABYTES (no syncs), print
 *                                         READY and wait to be killed
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crash_records.h"

static struct crash_storage storage;

static void say(const char *line) {
    size_t len = strlen(line), done = 0;
    while (done < len) {
        ssize_t n = write(1, line + done, len - done);
        if (n <= 0) _exit(3);
        done += (size_t)n;
    }
}

static int fail(const char *what, int rc) {
    fprintf(stderr, "crash_writer: %s: %s (%s)\n", what, eventlog_strerror(rc), eventlog_errmsg());
    return 2;
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: crash_writer DIR batch|sync|bulk SEED|MEGABYTES\n");
        return 64;
    }
    const char *dir = argv[1], *mode = argv[2];
    int bulk = strcmp(mode, "bulk") == 0;
    uint64_t seed = strtoull(argv[3], NULL, 10);

    eventlog_options opts;
    eventlog_options_init(&opts);
    if (bulk) {
        opts.segment_bytes = UINT64_C(1) << 30; /* one big segment: the worst case for a full scan */
    } else {
        opts.segment_bytes = 256u << 10; /* small: kills land in rolls too */
        opts.batch_max_bytes = 16u << 10;
        opts.sync_mode = strcmp(mode, "batch") == 0 ? EVENTLOG_SYNC_BATCH : EVENTLOG_SYNC_NONE;
    }
    eventlog *log = NULL;
    int rc = eventlog_open(dir, &opts, &log);
    if (rc != EVENTLOG_OK) return fail("eventlog_open", rc);

    uint64_t next = eventlog_end_offset(log);
    char line[64];
    snprintf(line, sizeof line, "OPEN %llu\n", (unsigned long long)next);
    say(line);
    if (bulk) {
        uint64_t bytes = 0, limit = seed << 20;
        while (bytes < limit) {
            eventlog_record rec;
            crash_record(next, &storage, &rec);
            if ((rc = eventlog_append(log, &rec, NULL)) != EVENTLOG_OK) return fail("eventlog_append", rc);
            bytes += rec.key_len + rec.value_len + 40;
            next++;
        }
        if ((rc = eventlog_flush(log)) != EVENTLOG_OK) return fail("eventlog_flush", rc);
        snprintf(line, sizeof line, "READY %llu\n", (unsigned long long)next);
        say(line);
        for (;;) pause();
    }
    uint64_t state = seed;
    for (;;) {
        unsigned count = 1 + (unsigned)(crash_mix(&state) % 64);
        for (unsigned i = 0; i < count; i++) {
            eventlog_record rec;
            crash_record(next, &storage, &rec);
            uint64_t offset = 0;
            if ((rc = eventlog_append(log, &rec, &offset)) != EVENTLOG_OK) return fail("eventlog_append", rc);
            if (offset != next) {
                fprintf(stderr, "crash_writer: append gave offset %llu, expected %llu\n", (unsigned long long)offset,
                        (unsigned long long)next);
                return 2;
            }
            next++;
        }
        rc = opts.sync_mode == EVENTLOG_SYNC_BATCH ? eventlog_flush(log) : eventlog_sync(log);
        if (rc != EVENTLOG_OK) return fail("flush/sync", rc);
        snprintf(line, sizeof line, "ACK %llu\n", (unsigned long long)next);
        say(line);
    }
}
