/* SPDX-License-Identifier: Apache-2.0 */
/* quickstart.c - the smallest complete use of libeventlog: open a log, append
 * one record, flush it so cursors can see it, read it back, close.
 * Usage: quickstart [DIR]   (default ./quickstart.log; created if missing)
 *
 * Every fallible call returns EVENTLOG_OK or a code; eventlog_errmsg() tells
 * what went wrong, naming the file, offset or argument concerned. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <eventlog.h>

static int fail(const char *call, int rc) {
    fprintf(stderr, "quickstart: %s: %s: %s\n", call, eventlog_strerror(rc), eventlog_errmsg());
    return 1;
}

static const char usage[] = "usage: quickstart [DIR]   (default ./quickstart.log; created if missing)\n";

int main(int argc, char **argv) {
    if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        fputs(usage, stdout); /* asked for: stdout and status 0; a mistake: stderr and 2 */
        return 0;
    }
    if (argc > 2 || (argc == 2 && argv[1][0] == '-')) {
        fputs(usage, stderr);
        return 2;
    }
    const char *dir = argc > 1 ? argv[1] : "quickstart.log";
    eventlog *log;
    eventlog_cursor *cur;
    eventlog_record rec = {.key = "user-1", .key_len = 6, .value = "signed up", .value_len = 9};
    uint64_t offset;
    int rc, status = 0;

    if ((rc = eventlog_open(dir, NULL, &log)) != EVENTLOG_OK) return fail("eventlog_open", rc);

    if ((rc = eventlog_append(log, &rec, &offset)) != EVENTLOG_OK) {
        status = fail("eventlog_append", rc);
    } else if ((rc = eventlog_flush(log)) != EVENTLOG_OK) {
        status = fail("eventlog_flush", rc);
    } else if ((rc = eventlog_cursor_open(log, offset, &cur)) != EVENTLOG_OK) {
        status = fail("eventlog_cursor_open", rc);
    } else {
        /* The record's pointers are borrowed from the cursor: valid until its
         * next call or its close. */
        if ((rc = eventlog_cursor_next(cur, 0, &rec)) == EVENTLOG_OK)
            printf("offset %" PRIu64 ": %.*s = %.*s\n", rec.offset, (int)rec.key_len,
                   (const char *)rec.key, (int)rec.value_len, (const char *)rec.value);
        else
            status = fail("eventlog_cursor_next", rc);
        eventlog_cursor_close(cur);
    }

    if ((rc = eventlog_close(log)) != EVENTLOG_OK) status = fail("eventlog_close", rc);
    return status;
}
