/* SPDX-License-Identifier: Apache-2.0 */
/* consumer.c - follows a log with a named cursor, in near real time, from
 * another process than the writer. It opens the log read-only, resumes after
 * the position its name last committed, prints each record as
 * "<offset> <value>" and commits after every batch it printed. Kill it at any
 * moment and start it again: it resumes after its last commit, so it sees
 * every record at least once, and a record twice only if it was printed but
 * not yet committed when the process died. If it falls so far behind that
 * retention deletes records before it reads them, it says which on stderr
 * and goes on from the oldest record left.
 *
 * Usage: consumer DIR NAME [--max N] [--idle-exit-ms T]
 *   --max N           exit after N records
 *   --idle-exit-ms T  exit when no record arrived for T ms (default: wait forever) */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <eventlog.h>

static const char usage[] = "usage: consumer DIR NAME [--max N] [--idle-exit-ms T]\n";

static int fail(const char *call, int rc) {
    fprintf(stderr, "consumer: %s: %s: %s\n", call, eventlog_strerror(rc), eventlog_errmsg());
    return 1;
}

int main(int argc, char **argv) {
    if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        fputs(usage, stdout); /* asked for: stdout and status 0; a mistake: stderr and 2 */
        return 0;
    }
    if (argc < 3) {
        fputs(usage, stderr);
        return 2;
    }
    uint64_t max = UINT64_MAX;
    int idle_ms = -1;
    for (int i = 3; i < argc; i++) {
        if (!strcmp(argv[i], "--max") && i + 1 < argc) max = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--idle-exit-ms") && i + 1 < argc) idle_ms = atoi(argv[++i]);
        else {
            fprintf(stderr, "consumer: unknown argument '%s'\n", argv[i]);
            return 2;
        }
    }
    eventlog_options opts = EVENTLOG_OPTIONS_INIT;
    opts.flags = EVENTLOG_OPEN_READONLY;
    eventlog *log;
    eventlog_cursor *cur;
    int rc = eventlog_open(argv[1], &opts, &log);
    if (rc != EVENTLOG_OK) return fail("eventlog_open", rc);
    if ((rc = eventlog_cursor_open_named(log, argv[2], EVENTLOG_OLDEST, &cur)) != EVENTLOG_OK) {
        eventlog_close(log);
        return fail("eventlog_cursor_open_named", rc);
    }

    eventlog_record batch[256];
    uint64_t seen = 0;
    int status = 0;
    while (seen < max) {
        size_t n;
        size_t capacity = max - seen < 256 ? (size_t)(max - seen) : 256;
        rc = eventlog_cursor_next_batch(cur, idle_ms, batch, capacity, &n);
        if (rc == EVENTLOG_END) break; /* idle for --idle-exit-ms */
        if (rc == EVENTLOG_ERANGE) {
            /* Fell behind retention: the records it was to read next are
             * deleted. Say which, and go on from the oldest still there. */
            fprintf(stderr, "consumer: %s; going on from the oldest record\n", eventlog_errmsg());
            if ((rc = eventlog_cursor_seek(cur, EVENTLOG_OLDEST)) == EVENTLOG_OK) continue;
        }
        if (rc != EVENTLOG_OK) {
            status = fail("eventlog_cursor_next_batch", rc);
            break;
        }
        for (size_t i = 0; i < n; i++)
            printf("%" PRIu64 " %.*s\n", batch[i].offset, (int)batch[i].value_len, (const char *)batch[i].value);
        fflush(stdout);
        seen += n;
        if ((rc = eventlog_cursor_commit(cur)) != EVENTLOG_OK) {
            status = fail("eventlog_cursor_commit", rc);
            break;
        }
    }
    eventlog_cursor_close(cur);
    eventlog_close(log);
    return status;
}
