/* SPDX-License-Identifier: Apache-2.0 */
/* A full disk seen through RLIMIT_FSIZE, from C: with the file size limit
 * lowered, appending fails with EVENTLOG_ENOSPC (the kernel's EFBIG), never
 * SIGXFSZ or SIGBUS, and never loses what was written before; once the
 * limit is raised again, the batch that failed and new appends go through,
 * and the log reopens and verifies sound with every record exact.
 * First, in a child that keeps SIGXFSZ's default action (which kills), a
 * limit below the 8 MiB segment preallocation: the library must stay
 * within it, store records up to it, and report EVENTLOG_ENOSPC.
 *
 *   test_file_size_limit [SCRATCH_DIR]
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "crash_records.h"

static struct crash_storage storage;

#define CHECK(cond)                                                                                 \
    do {                                                                                            \
        if (!(cond)) {                                                                              \
            fprintf(stderr, "%s:%d: %s failed (%s)\n", __FILE__, __LINE__, #cond, eventlog_errmsg()); \
            exit(1);                                                                                \
        }                                                                                           \
    } while (0)

/* Reads the log from offset 0; every record must be the one appended there. */
static uint64_t read_all(eventlog *log) {
    eventlog_cursor *cur = NULL;
    CHECK(eventlog_cursor_open(log, EVENTLOG_OLDEST, &cur) == EVENTLOG_OK);
    eventlog_record rec;
    uint64_t next = 0;
    int rc;
    while ((rc = eventlog_cursor_next(cur, 0, &rec)) == EVENTLOG_OK) {
        CHECK(rec.offset == next);
        CHECK(crash_record_matches(&rec, &storage));
        next++;
    }
    CHECK(rc == EVENTLOG_END);
    eventlog_cursor_close(cur);
    return next;
}

/* Appends records from offset 0, flushing every 50, until a call fails;
 * returns its code, with the records accepted and those flushed. */
static int append_until_error(eventlog *log, uint64_t *accepted, uint64_t *flushed_out) {
    uint64_t next = 0, flushed = 0;
    int rc = EVENTLOG_OK;
    while (next < 1000000) {
        eventlog_record rec;
        crash_record(next, &storage, &rec);
        if ((rc = eventlog_append(log, &rec, NULL)) != EVENTLOG_OK) break;
        next++;
        if (next % 50 == 0) {
            if ((rc = eventlog_flush(log)) != EVENTLOG_OK) break;
            flushed = next;
        }
    }
    *accepted = next;
    *flushed_out = flushed;
    return rc;
}

/* Appends to a new log at `dir` with default options until the limit stops
 * it; exits the process with 0 if that was EVENTLOG_ENOSPC and everything
 * flushed before reads back exact. */
static void fill_below_preallocation(const char *dir, rlim_t limit) {
    struct rlimit low;
    CHECK(getrlimit(RLIMIT_FSIZE, &low) == 0);
    low.rlim_cur = limit;
    CHECK(setrlimit(RLIMIT_FSIZE, &low) == 0);
    eventlog *log = NULL;
    CHECK(eventlog_open(dir, NULL, &log) == EVENTLOG_OK);
    uint64_t next = 0, flushed = 0;
    int rc = append_until_error(log, &next, &flushed);
    CHECK(rc == EVENTLOG_ENOSPC);
    printf("default SIGXFSZ, limit %llu bytes: ENOSPC after %llu records flushed: %s\n", (unsigned long long)limit,
           (unsigned long long)flushed, eventlog_errmsg());
    CHECK(flushed > 1000);
    CHECK(read_all(log) >= flushed);
    eventlog_close(log);
    exit(0);
}

int main(int argc, char **argv) {
    char dir[4096];
    char base[] = "/tmp/eventlog-fsize-XXXXXX";
    if (argc > 1) {
        snprintf(dir, sizeof dir, "%s/fsize-log", argv[1]);
    } else {
        CHECK(mkdtemp(base) != NULL);
        snprintf(dir, sizeof dir, "%s/log", base);
    }
    char child_dir[4200];
    snprintf(child_dir, sizeof child_dir, "%s-default-sigxfsz", dir);
    pid_t child = fork();
    CHECK(child >= 0);
    if (child == 0) fill_below_preallocation(child_dir, 2u << 20);
    int status = 0;
    CHECK(waitpid(child, &status, 0) == child);
    if (WIFSIGNALED(status)) fprintf(stderr, "the child was killed by signal %d\n", WTERMSIG(status));
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);

    /* A process over its file size limit gets SIGXFSZ, which kills it
     * unless ignored; the system call then fails with EFBIG. */
    signal(SIGXFSZ, SIG_IGN);
    struct rlimit saved, low;
    CHECK(getrlimit(RLIMIT_FSIZE, &saved) == 0);
    low = saved;
    low.rlim_cur = 3u << 20;
    CHECK(setrlimit(RLIMIT_FSIZE, &low) == 0);

    eventlog_options opts;
    eventlog_options_init(&opts);
    opts.segment_bytes = 64u << 20;
    opts.batch_max_bytes = 32u << 10;
    eventlog *log = NULL;
    CHECK(eventlog_open(dir, &opts, &log) == EVENTLOG_OK);

    uint64_t next = 0, flushed = 0;
    int rc = append_until_error(log, &next, &flushed);
    CHECK(rc == EVENTLOG_ENOSPC);
    CHECK(eventlog_errmsg()[0] != '\0');
    printf("file size limit hit after %llu records flushed, %llu accepted: %s\n", (unsigned long long)flushed,
           (unsigned long long)next, eventlog_errmsg());
    CHECK(flushed > 1000);
    /* Everything flushed is there and exact; the failed batch stays queued. */
    CHECK(read_all(log) >= flushed);
    CHECK(eventlog_flush(log) == EVENTLOG_ENOSPC);

    CHECK(setrlimit(RLIMIT_FSIZE, &saved) == 0);
    CHECK(eventlog_flush(log) == EVENTLOG_OK);
    for (uint64_t end = next + 500; next < end; next++) {
        eventlog_record rec;
        crash_record(next, &storage, &rec);
        CHECK(eventlog_append(log, &rec, NULL) == EVENTLOG_OK);
    }
    CHECK(eventlog_sync(log) == EVENTLOG_OK);
    CHECK(read_all(log) == next);
    CHECK(eventlog_close(log) == EVENTLOG_OK);

    CHECK(eventlog_open(dir, &opts, &log) == EVENTLOG_OK);
    CHECK(eventlog_end_offset(log) == next);
    CHECK(read_all(log) == next);
    CHECK(eventlog_close(log) == EVENTLOG_OK);
    eventlog_verify_report report = EVENTLOG_VERIFY_REPORT_INIT;
    CHECK(eventlog_verify(dir, &report) == EVENTLOG_OK && report.records == next);
    printf("after raising the limit: %llu records, all exact, log verifies sound\n", (unsigned long long)next);
    if (argc <= 1) {
        char command[4200];
        snprintf(command, sizeof command, "rm -rf '%s'", base);
        if (system(command) != 0) fprintf(stderr, "could not remove %s\n", base);
    }
    return 0;
}
