/* SPDX-License-Identifier: Apache-2.0 */
/*
 * engine_eventlog.c - libeventlog through its public C header, configured as
 * a user would start: default options (LZ4, 256 KiB producer batches, 1 ms
 * linger, 256 MiB segments, no sync mode). Durable appends call
 * eventlog_sync after each eventlog_append, so concurrent threads share one
 * disk flush (group commit). Also the compaction workload, which exists only
 * here.
 */
#include "bench.h"

#include <eventlog.h>
#include <stdlib.h>
#include <string.h>

/* eventlog_compact is being written: bind it weakly, so a library without it
 * still runs every other workload and the report says why compaction is n/a. */
#pragma weak eventlog_compact

#define READ_BATCH 1024

typedef struct el_handle {
    eventlog *log;
    eventlog_cursor *reader;       /* the cursor of read_at, kept between calls */
    eventlog_record *recs;         /* staging for append_batch and replay */
    size_t recs_capacity;
} el_handle;

static void set_err(char *err, const char *call, int rc) {
    snprintf(err, ERR_BYTES, "%s: %s (%s)", call, eventlog_strerror(rc), eventlog_errmsg());
}

static int reserve(el_handle *h, size_t count) {
    if (count <= h->recs_capacity) return 0;
    eventlog_record *recs = realloc(h->recs, count * sizeof *recs);
    if (!recs) return -1;
    h->recs = recs;
    h->recs_capacity = count;
    return 0;
}

static void *el_open(const char *dir, int mode, char *err) {
    el_handle *h = calloc(1, sizeof *h);
    eventlog_options opts = EVENTLOG_OPTIONS_INIT;
    if (mode == OPEN_READ) opts.flags = EVENTLOG_OPEN_READONLY;
    int rc = eventlog_open(dir, &opts, &h->log);
    if (rc != EVENTLOG_OK || reserve(h, READ_BATCH)) {
        set_err(err, "eventlog_open", rc);
        free(h);
        return NULL;
    }
    return h;
}

static void fill(eventlog_record *r, const dataset *d, size_t n) {
    size_t value_len;
    const void *value = dataset_value(d, n, &value_len);
    *r = (eventlog_record){.timestamp = dataset_timestamp(n), .key = dataset_key(d, n), .key_len = d->key_bytes,
                           .value = value, .value_len = value_len};
}

static int el_append_batch(void *p, const dataset *d, size_t n, size_t count, char *err) {
    el_handle *h = p;
    if (reserve(h, count)) return snprintf(err, ERR_BYTES, "out of memory"), -1;
    for (size_t i = 0; i < count; i++) fill(&h->recs[i], d, n + i);
    int rc = eventlog_append_batch(h->log, h->recs, count, NULL);
    if (rc != EVENTLOG_OK) return set_err(err, "eventlog_append_batch", rc), -1;
    return 0;
}

static int el_append_one(void *p, const dataset *d, size_t n, char *err) {
    el_handle *h = p;
    eventlog_record r;
    fill(&r, d, n);
    int rc = eventlog_append(h->log, &r, NULL);
    if (rc != EVENTLOG_OK) return set_err(err, "eventlog_append", rc), -1;
    return 0;
}

static int el_finish(void *p, char *err) {
    el_handle *h = p;
    int rc = eventlog_flush(h->log);
    if (rc != EVENTLOG_OK) return set_err(err, "eventlog_flush", rc), -1;
    return 0;
}

static int el_durable_append(void *p, int thread, const dataset *d, size_t n, char *err) {
    (void)thread;
    el_handle *h = p;
    eventlog_record r;
    fill(&r, d, n);
    int rc = eventlog_append(h->log, &r, NULL);
    if (rc != EVENTLOG_OK) return set_err(err, "eventlog_append", rc), -1;
    rc = eventlog_sync(h->log);
    if (rc != EVENTLOG_OK) return set_err(err, "eventlog_sync", rc), -1;
    return 0;
}

static int el_replay(void *p, read_sum *sum, char *err) {
    el_handle *h = p;
    eventlog_cursor *cur;
    int rc = eventlog_cursor_open(h->log, EVENTLOG_OLDEST, &cur);
    if (rc != EVENTLOG_OK) return set_err(err, "eventlog_cursor_open", rc), -1;
    size_t count;
    while ((rc = eventlog_cursor_next_batch(cur, 0, h->recs, READ_BATCH, &count)) == EVENTLOG_OK) {
        for (size_t i = 0; i < count; i++)
            read_sum_add(sum, h->recs[i].key, h->recs[i].key_len, h->recs[i].value, h->recs[i].value_len);
    }
    eventlog_cursor_close(cur);
    if (rc != EVENTLOG_END) return set_err(err, "eventlog_cursor_next_batch", rc), -1;
    return 0;
}

/* One read_sum per worker, each on a cache line of its own, merged after
 * the scan: the callback takes no lock. */
typedef struct scan_sums {
    struct {
        read_sum sum;
        char pad[64 - sizeof(read_sum) % 64];
    } worker[EVENTLOG_MAX_SCAN_THREADS];
} scan_sums;

static int el_scan_visit(const eventlog_record *recs, size_t count, unsigned int worker, void *ctx) {
    read_sum *sum = &((scan_sums *)ctx)->worker[worker].sum;
    for (size_t i = 0; i < count; i++) read_sum_add(sum, recs[i].key, recs[i].key_len, recs[i].value, recs[i].value_len);
    return 0;
}

static int el_scan(void *p, unsigned threads, read_sum *sum, char *err) {
    el_handle *h = p;
    scan_sums *sums = calloc(1, sizeof *sums);
    if (!sums) return snprintf(err, ERR_BYTES, "out of memory"), -1;
    eventlog_scan_options opts = EVENTLOG_SCAN_OPTIONS_INIT;
    opts.threads = threads;
    int rc = eventlog_scan(h->log, EVENTLOG_OLDEST, EVENTLOG_LATEST, &opts, el_scan_visit, sums, NULL);
    for (unsigned w = 0; w < threads && w < EVENTLOG_MAX_SCAN_THREADS; w++) {
        sum->records += sums->worker[w].sum.records;
        sum->bytes += sums->worker[w].sum.bytes;
        sum->mix ^= sums->worker[w].sum.mix;
    }
    free(sums);
    if (rc != EVENTLOG_OK) return set_err(err, "eventlog_scan", rc), -1;
    return 0;
}

static int el_read_at(void *p, uint64_t offset, read_sum *sum, char *err) {
    el_handle *h = p;
    int rc;
    if (!h->reader && (rc = eventlog_cursor_open(h->log, offset, &h->reader)) != EVENTLOG_OK)
        return set_err(err, "eventlog_cursor_open", rc), -1;
    if ((rc = eventlog_cursor_seek(h->reader, offset)) != EVENTLOG_OK)
        return set_err(err, "eventlog_cursor_seek", rc), -1;
    eventlog_record r;
    if ((rc = eventlog_cursor_next(h->reader, 0, &r)) != EVENTLOG_OK)
        return set_err(err, "eventlog_cursor_next", rc), -1;
    if (r.offset != offset)
        return snprintf(err, ERR_BYTES, "sought offset %llu, read %llu", (unsigned long long)offset,
                        (unsigned long long)r.offset), -1;
    read_sum_add(sum, r.key, r.key_len, r.value, r.value_len);
    return 0;
}

static void el_close(void *p) {
    el_handle *h = p;
    eventlog_cursor_close(h->reader);
    int rc = eventlog_close(h->log);
    if (rc != EVENTLOG_OK) die("eventlog_close: %s (%s)", eventlog_strerror(rc), eventlog_errmsg());
    free(h->recs);
    free(h);
}

const engine_ops eventlog_engine = {
    .name = "eventlog",
    .description = "libeventlog, default options (LZ4, 256 KiB batches, 1 ms linger); durable = append + eventlog_sync",
    .open = el_open,
    .append_batch = el_append_batch,
    .append_one = el_append_one,
    .finish = el_finish,
    .durable_append = el_durable_append,
    .replay = el_replay,
    .scan = el_scan,
    .read_at = el_read_at,
    .close = el_close,
    .version = eventlog_version,
};

/* ----------------------------------------------------------------- compaction */

/* Keys of the compaction log: spread uniformly over a quarter as many keys
 * as records, by a hash of the offset, so that later segments repeat some
 * keys of earlier ones but not all (the data set's cycling keys would all
 * reappear in the active segment and leave nothing to keep). */
static void compaction_key(size_t n, size_t key_space, char key[32]) {
    uint64_t z = (uint64_t)n * UINT64_C(0x9E3779B97F4A7C15);
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z ^= z >> 31;
    snprintf(key, 32, "c%015llu", (unsigned long long)(z % key_space));
}

/* Writes the compaction log: cfg->compact_records records over a quarter as
 * many keys, in small segments. */
static void write_compaction_log(const bench_config *cfg, const dataset *d, const char *dir) {
    remove_tree(dir);
    eventlog_options opts = EVENTLOG_OPTIONS_INIT;
    opts.segment_bytes = cfg->compact_segment_bytes;
    eventlog *log;
    int rc = eventlog_open(dir, &opts, &log);
    if (rc != EVENTLOG_OK) die("eventlog_open %s: %s (%s)", dir, eventlog_strerror(rc), eventlog_errmsg());
    el_handle h = {.log = log};
    char (*keys)[32] = malloc(cfg->batch_records * sizeof *keys);
    size_t key_space = cfg->compact_records / 4 ? cfg->compact_records / 4 : 1;
    for (size_t n = 0; n < cfg->compact_records; n += cfg->batch_records) {
        size_t count = cfg->compact_records - n < cfg->batch_records ? cfg->compact_records - n : cfg->batch_records;
        if (reserve(&h, count)) die("out of memory");
        for (size_t i = 0; i < count; i++) {
            fill(&h.recs[i], d, n + i);
            compaction_key(n + i, key_space, keys[i]);
            h.recs[i].key = keys[i];
        }
        if ((rc = eventlog_append_batch(log, h.recs, count, NULL)) != EVENTLOG_OK)
            die("eventlog_append_batch: %s (%s)", eventlog_strerror(rc), eventlog_errmsg());
    }
    free(keys);
    free(h.recs);
    if ((rc = eventlog_close(log)) != EVENTLOG_OK) die("eventlog_close: %s", eventlog_errmsg());
}

/* Compacts the log in `dir` on `threads` threads (0: one per core) and
 * reports its input rate as eventlog.<name>.*; returns the seconds it took
 * and sets *bytes to its input (the closed segments'), or returns 0 if it
 * did not compact. */
static double compact_once(const char *dir, unsigned int threads, const char *name, double *bytes) {
    char mbps[64], rps[64], key[96];
    snprintf(mbps, sizeof mbps, "eventlog.%s.mbps", name);
    snprintf(rps, sizeof rps, "eventlog.%s.rps", name);
    eventlog_compact_options copts = EVENTLOG_COMPACT_OPTIONS_INIT;
    copts.threads = threads;
    eventlog_compact_stats stats = EVENTLOG_COMPACT_STATS_INIT;
    double start = now_seconds();
    int rc = eventlog_compact(dir, &copts, &stats);
    double seconds = now_seconds() - start;
    if (rc != EVENTLOG_OK) {
        char reason[ERR_BYTES + 64];
        snprintf(reason, sizeof reason, "eventlog_compact returned %s: %s", eventlog_strerror(rc), eventlog_errmsg());
        metric_na(mbps, reason);
        metric_na(rps, reason);
        return 0;
    }
    if (stats.records_before == 0) {
        metric_na(mbps, "no closed segment to compact");
        metric_na(rps, "no closed segment to compact");
        return 0;
    }
    metric_add(mbps, (double)stats.bytes_before / seconds / 1e6);
    metric_add(rps, (double)stats.records_before / seconds);
    const char *fields[] = {"records_before", "records_after", "bytes_before", "bytes_after", "seconds"};
    double values[] = {(double)stats.records_before, (double)stats.records_after, (double)stats.bytes_before,
                       (double)stats.bytes_after, seconds};
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        snprintf(key, sizeof key, "eventlog.%s.%s", name, fields[i]);
        metric_add(key, values[i]);
    }
    *bytes = (double)stats.bytes_before;
    return seconds;
}

/* Times `tool compact dir` (the first compactor's tool) and reports its
 * input rate as eventlog.compact_first.mbps: `bytes` is the closed
 * segments' size, the same log's bytes_before as eventlog_compact counted
 * it. The tool's start-up (milliseconds) is counted against it, in a run of
 * seconds. */
static double compact_with_first(const char *tool, const char *dir, double bytes) {
    const char *argv[] = {tool, "compact", dir, NULL};
    double seconds = run_tool(argv, "/dev/null");
    metric_add("eventlog.compact_first.mbps", bytes / seconds / 1e6);
    return seconds;
}

/* Compacts a log of cfg->compact_records records in small segments (all but
 * the active one are compacted) on one thread, then the same log written
 * again on one thread per core: records and bytes per second of input.
 * With cfg->first_compactor, the log is written a third time for the first
 * compactor, right after the run on every core: the goal is a multiple of
 * its rate, and this machine's speed drifts too much between runs for a
 * figure measured on another day. */
void run_compaction(const bench_config *cfg, const dataset *d) {
    if (!eventlog_compact) {
        metric_na("eventlog.compact.mbps", "eventlog_compact is not exported by the linked libeventlog.so");
        metric_na("eventlog.compact.rps", "eventlog_compact is not exported by the linked libeventlog.so");
        return;
    }
    note("eventlog: compaction of %zu records in %llu-byte segments, on 1 thread and on every core",
         cfg->compact_records, (unsigned long long)cfg->compact_segment_bytes);
    const char *dir = path_join(cfg->dir, "eventlog-compact");
    double bytes = 0;
    write_compaction_log(cfg, d, dir);
    compact_once(dir, 1, "compact_t1", &bytes);
    write_compaction_log(cfg, d, dir);
    double seconds = compact_once(dir, 0, "compact", &bytes);
    if (cfg->first_compactor && seconds > 0) {
        write_compaction_log(cfg, d, dir);
        /* This run's pair, so that the ratio's median is of ratios taken
         * side by side, not of rates taken minutes apart. */
        metric_add("eventlog.compact.x_first", compact_with_first(cfg->first_compactor, dir, bytes) / seconds);
    }
    remove_tree(dir);
}
