/* SPDX-License-Identifier: Apache-2.0 */
/* producer.c - appends events to a log, as fast as it can or at a set rate,
 * asynchronously (batched; visible within the linger time) or synchronously
 * (each append durable before the next: sync mode "batch").
 *
 * Usage: producer DIR [--count N] [--rate PER_SECOND] [--sync none|batch|call]
 *                     [--value-bytes B] [--segment-bytes S] [--ack]
 *   --sync none   records wait in the producer batch (default)
 *   --sync batch  EVENTLOG_SYNC_BATCH: every written batch is synced
 *   --sync call   eventlog_sync() after every append
 *   --ack         print "<offset>\n" once each record is durable (sync modes)
 *                 or written (flush after each append otherwise)
 * Exits 0 after N records (default 100000) have been appended and flushed. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <eventlog.h>

static const char usage[] = "usage: producer DIR [--count N] [--rate PER_SECOND] [--sync none|batch|call] "
                            "[--value-bytes B] [--segment-bytes S] [--ack]\n";

static int fail(const char *call, int rc) {
    fprintf(stderr, "producer: %s: %s: %s\n", call, eventlog_strerror(rc), eventlog_errmsg());
    return 1;
}

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_until(double when) {
    double wait = when - now_seconds();
    if (wait <= 0) return;
    struct timespec ts = {.tv_sec = (time_t)wait, .tv_nsec = (long)((wait - (double)(time_t)wait) * 1e9)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {}
}

int main(int argc, char **argv) {
    if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        fputs(usage, stdout); /* asked for: stdout and status 0; a mistake: stderr and 2 */
        return 0;
    }
    if (argc < 2 || argv[1][0] == '-') {
        fputs(usage, stderr);
        return 2;
    }
    const char *dir = argv[1];
    uint64_t count = 100000;
    double rate = 0;
    const char *sync = "none";
    size_t value_bytes = 100;
    int ack = 0;
    uint64_t segment_bytes = 0;
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--count") && i + 1 < argc) count = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--rate") && i + 1 < argc) rate = strtod(argv[++i], NULL);
        else if (!strcmp(argv[i], "--sync") && i + 1 < argc) sync = argv[++i];
        else if (!strcmp(argv[i], "--value-bytes") && i + 1 < argc) value_bytes = strtoul(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--segment-bytes") && i + 1 < argc) segment_bytes = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--ack")) ack = 1;
        else {
            fprintf(stderr, "producer: unknown argument '%s'\n", argv[i]);
            return 2;
        }
    }
    int sync_each_call = !strcmp(sync, "call");
    eventlog_options opts = EVENTLOG_OPTIONS_INIT;
    opts.segment_bytes = segment_bytes;
    if (!strcmp(sync, "batch")) opts.sync_mode = EVENTLOG_SYNC_BATCH;
    else if (strcmp(sync, "none") && !sync_each_call) {
        fprintf(stderr, "producer: --sync must be none, batch or call, not '%s'\n", sync);
        return 2;
    }

    eventlog *log;
    int rc = eventlog_open(dir, &opts, &log);
    if (rc != EVENTLOG_OK) return fail("eventlog_open", rc);

    char *value = malloc(value_bytes + 64);
    if (!value) return 1;
    double start = now_seconds();
    int status = 0;
    for (uint64_t i = 0; i < count && status == 0; i++) {
        if (rate > 0) sleep_until(start + (double)i / rate);
        char key[32];
        int key_len = snprintf(key, sizeof key, "user-%" PRIu64, i % 1000);
        int n = snprintf(value, value_bytes + 64, "{\"seq\":%" PRIu64 ",\"event\":\"click\",\"pad\":\"", i);
        while ((size_t)n < value_bytes - 2 && (size_t)n < value_bytes + 60) value[n++] = 'x';
        value[n++] = '"';
        value[n++] = '}';
        eventlog_record rec = {.key = key, .key_len = (size_t)key_len, .value = value, .value_len = (size_t)n};
        uint64_t offset;
        if ((rc = eventlog_append(log, &rec, &offset)) != EVENTLOG_OK) {
            status = fail("eventlog_append", rc);
            break;
        }
        if (sync_each_call || opts.sync_mode == EVENTLOG_SYNC_BATCH) {
            /* In SYNC_BATCH mode eventlog_flush writes the batch and syncs it. */
            rc = sync_each_call ? eventlog_sync(log) : eventlog_flush(log);
        } else if (ack || rate > 0) {
            rc = eventlog_flush(log);
        }
        if (rc != EVENTLOG_OK) {
            status = fail("eventlog_sync/flush", rc);
            break;
        }
        if (ack) {
            printf("%" PRIu64 "\n", offset);
            fflush(stdout);
        }
    }
    free(value);
    if ((rc = eventlog_close(log)) != EVENTLOG_OK && status == 0) status = fail("eventlog_close", rc);
    return status;
}
