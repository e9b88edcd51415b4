/* SPDX-License-Identifier: Apache-2.0 */
/*
 * workloads.c - the workloads every store runs through engine_ops, in the
 * same order and with the same data for each:
 *   append with the batch API, then bytes on disk per record, full replay and
 *   random reads by offset on what was written; append with the one-record
 *   API; durable appends from 1 and from 8 threads.
 * Each append workload stops early after cfg->append_seconds_max, so the slow
 * stores finish in bounded time; its rate is then over the records it wrote.
 */
#include "bench.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char metric_key[160];
static const char *key_of(const engine_ops *e, const char *what) {
    snprintf(metric_key, sizeof metric_key, "%s.%s", e->name, what);
    return metric_key;
}
static const char *key_ds(const engine_ops *e, const char *what, const dataset *d, const char *unit) {
    snprintf(metric_key, sizeof metric_key, "%s.%s.%s.%s", e->name, what, d->name, unit);
    return metric_key;
}

static void fail(const engine_ops *e, const char *what, const char *err) {
    die("%s: %s: %s", e->name, what, err);
}

/* Appends up to `total` records; returns how many, and the seconds taken
 * including `finish`. */
static size_t append_phase(const engine_ops *e, void *h, const dataset *d, size_t total, size_t batch,
                           double seconds_max, double *seconds) {
    char err[ERR_BYTES];
    double start = now_seconds(), deadline = start + seconds_max;
    size_t n = 0;
    if (batch > 0) {
        while (n < total) {
            size_t count = total - n < batch ? total - n : batch;
            if (e->append_batch(h, d, n, count, err)) fail(e, "append_batch", err);
            n += count;
            if (now_seconds() > deadline) break;
        }
    } else {
        while (n < total) {
            if (e->append_one(h, d, n, err)) fail(e, "append_one", err);
            n++;
            if ((n & 255) == 0 && now_seconds() > deadline) break;
        }
    }
    if (e->finish && e->finish(h, err)) fail(e, "finish", err);
    *seconds = now_seconds() - start;
    return n;
}

static void record_rate(const engine_ops *e, const char *what, const dataset *d, size_t n, double seconds) {
    metric_add(key_ds(e, what, d, "rps"), (double)n / seconds);
    metric_add(key_ds(e, what, d, "mbps"), (double)n * dataset_record_bytes(d) / seconds / 1e6);
    metric_add(key_ds(e, what, d, "records"), (double)n);
}

static uint64_t xorshift(uint64_t *s) {
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static void random_reads(const bench_config *cfg, const engine_ops *e, void *h, size_t records) {
    char err[ERR_BYTES];
    read_sum sum = {0};
    uint64_t rng = 0x9E3779B97F4A7C15u;
    hist lat;
    hist_init(&lat);
    /* The first pass warms the caches (the page cache holds the files already:
     * they were just written and replayed) and is not counted. */
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < cfg->random_reads; i++) {
            uint64_t offset = xorshift(&rng) % records;
            uint64_t t0 = now_ns();
            if (e->read_at(h, offset, &sum, err)) fail(e, "read_at", err);
            uint64_t t1 = now_ns();
            if (pass == 1) hist_record(&lat, t1 - t0);
        }
    }
    if (sum.records != 2 * cfg->random_reads) die("%s: random reads returned %llu records, expected %zu", e->name,
                                                  (unsigned long long)sum.records, 2 * cfg->random_reads);
    metric_add(key_of(e, "seek.p50_us"), (double)hist_percentile(&lat, 50) / 1e3);
    metric_add(key_of(e, "seek.p99_us"), (double)hist_percentile(&lat, 99) / 1e3);
    metric_add(key_of(e, "seek.p999_us"), (double)hist_percentile(&lat, 99.9) / 1e3);
}

/* Records `mbps` as a ratio to the mean of two LZ4 speeds measured on one
 * core right before and right after the workload. */
static void record_lz4_ratio(const engine_ops *e, const char *what, const dataset *d, double mbps, double before,
                             double after, const char *direction) {
    char unit[48];
    snprintf(unit, sizeof unit, "x_lz4_%s", direction);
    metric_add(key_ds(e, what, d, unit), mbps / ((before + after) / 2));
    snprintf(unit, sizeof unit, "lz4_%s_before_mbps", direction);
    metric_add(key_ds(e, what, d, unit), before);
    snprintf(unit, sizeof unit, "lz4_%s_after_mbps", direction);
    metric_add(key_ds(e, what, d, unit), after);
}

/* `eventlog dump DIR` into a file, timed: what a shell user gets from the
 * tool, beside the library's replay of the same log. The output is checked
 * to hold one line per record. */
static void dump_with_cli(const bench_config *cfg, const engine_ops *e, const dataset *d, const char *dir,
                          size_t n) {
    char out[4096];
    snprintf(out, sizeof out, "%s/dump.jsonl", cfg->dir);
    const char *argv[] = {cfg->cli, "dump", dir, "--no-progress", NULL};
    double seconds = run_tool(argv, out);
    FILE *f = fopen(out, "r");
    if (!f) die("%s: %s", out, strerror(errno));
    size_t lines = 0;
    char buf[1 << 16];
    for (size_t got; (got = fread(buf, 1, sizeof buf, f)) > 0;)
        for (size_t i = 0; i < got; i++) lines += buf[i] == '\n';
    fclose(f);
    unlink(out);
    if (lines != n) die("%s dump printed %zu lines for %zu records", cfg->cli, lines, n);
    metric_add(key_ds(e, "dump_cli", d, "rps"), (double)n / seconds);
}

/* `eventlog stats DIR --by key` (a MapReduce job on every core), timed
 * from start to exit: its cost per record beside the scan's. */
static void stats_with_cli(const bench_config *cfg, const engine_ops *e, const dataset *d, const char *dir,
                           size_t n) {
    const char *argv[] = {cfg->cli, "stats", dir, "--by", "key", "--json", "--no-progress", NULL};
    double seconds = run_tool(argv, "/dev/null");
    metric_add(key_ds(e, "stats_cli", d, "rps"), (double)n / seconds);
    metric_add(key_ds(e, "stats_cli", d, "ns_per_record"), seconds * 1e9 / (double)n);
}

/* The parallel scan on 1 and 2 threads, each bracketed by LZ4 measurements
 * like the replay; the records read are checked against the replay's. */
static void scan_phase(const bench_config *cfg, const engine_ops *e, void *h, const dataset *d, lz4_probe *probe,
                       const read_sum *replayed) {
    char err[ERR_BYTES];
    double probe_seconds = cfg->quick ? 0.1 : 0.5;
    for (unsigned threads = 1; threads <= 2; threads++) {
        read_sum sum = {0};
        double before = probe ? lz4_probe_decompress_mbps(probe, probe_seconds) : 0;
        double start = now_seconds();
        if (e->scan(h, threads, &sum, err)) fail(e, "scan", err);
        double seconds = now_seconds() - start;
        if (sum.records != replayed->records || sum.bytes != replayed->bytes || sum.mix != replayed->mix)
            die("%s: the scan on %u threads read %llu records, the replay %llu", e->name, threads,
                (unsigned long long)sum.records, (unsigned long long)replayed->records);
        char what[32];
        snprintf(what, sizeof what, "scan_t%u", threads);
        metric_add(key_ds(e, what, d, "rps"), (double)sum.records / seconds);
        metric_add(key_ds(e, what, d, "mbps"), (double)sum.bytes / seconds / 1e6);
        metric_add(key_ds(e, what, d, "ns_per_record"), seconds * 1e9 / (double)sum.records);
        if (!probe) continue;
        double after = lz4_probe_decompress_mbps(probe, probe_seconds);
        record_lz4_ratio(e, what, d, (double)sum.bytes / seconds / 1e6, before, after, "decompress");
        if (threads == 1) continue;
        /* LZ4 alone on as many threads: the most any scan of these bytes
         * can reach here, as a multiple of one core's LZ4 (the goal's unit),
         * and the scan against it. */
        double alone = lz4_probe_decompress_mbps_on(probe, probe_seconds, threads);
        metric_add(key_ds(e, what, d, "lz4_alone_x_one_core"), alone / ((before + after) / 2));
        metric_add(key_ds(e, what, d, "x_lz4_alone"), (double)sum.bytes / seconds / 1e6 / alone);
    }
}

/* Append with the batch API, then measure what was written. libeventlog's
 * append and replay are bracketed by LZ4 measurements for their ratios. */
static void write_and_read(const bench_config *cfg, const engine_ops *e, const dataset *d, size_t total, int seeks) {
    char err[ERR_BYTES];
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/%s-%s-batch", cfg->dir, e->name, d->name);
    remove_tree(dir);
    lz4_probe *probe = strcmp(e->name, "eventlog") == 0 ? lz4_probe_new(cfg, d) : NULL;
    double probe_seconds = cfg->quick ? 0.1 : 0.5, before = 0;
    void *h = e->open(dir, OPEN_FAST, err);
    if (!h) fail(e, "open", err);
    double seconds;
    if (probe) before = lz4_probe_compress_mbps(probe, probe_seconds);
    size_t n = append_phase(e, h, d, total, cfg->batch_records, cfg->append_seconds_max, &seconds);
    record_rate(e, "append_batch", d, n, seconds);
    if (probe)
        record_lz4_ratio(e, "append_batch", d, (double)n * dataset_record_bytes(d) / seconds / 1e6, before,
                         lz4_probe_compress_mbps(probe, probe_seconds), "compress");
    e->close(h);

    uint64_t allocated, apparent;
    tree_bytes(dir, &allocated, &apparent);
    metric_add(key_ds(e, "disk", d, "bytes_per_record"), (double)allocated / (double)n);
    metric_add(key_ds(e, "disk", d, "apparent_bytes_per_record"), (double)apparent / (double)n);

    h = e->open(dir, OPEN_READ, err);
    if (!h) fail(e, "open for reading", err);
    read_sum sum = {0};
    if (probe) before = lz4_probe_decompress_mbps(probe, probe_seconds);
    double start = now_seconds();
    if (e->replay(h, &sum, err)) fail(e, "replay", err);
    seconds = now_seconds() - start;
    if (sum.records != n) die("%s: replay returned %llu records, %zu were appended", e->name,
                              (unsigned long long)sum.records, n);
    metric_add(key_ds(e, "replay", d, "rps"), (double)n / seconds);
    metric_add(key_ds(e, "replay", d, "mbps"), (double)sum.bytes / seconds / 1e6);
    if (probe)
        record_lz4_ratio(e, "replay", d, (double)sum.bytes / seconds / 1e6, before,
                         lz4_probe_decompress_mbps(probe, probe_seconds), "decompress");
    if (e->scan) scan_phase(cfg, e, h, d, probe, &sum);
    if (probe) lz4_probe_free(probe);
    if (seeks) random_reads(cfg, e, h, n);
    e->close(h);
    if (cfg->cli && strcmp(e->name, "eventlog") == 0 && strcmp(d->name, "100") == 0) {
        dump_with_cli(cfg, e, d, dir, n);
        stats_with_cli(cfg, e, d, dir, n);
    }
    remove_tree(dir);
}

static void append_one_by_one(const bench_config *cfg, const engine_ops *e, const dataset *d, size_t total) {
    char err[ERR_BYTES];
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/%s-%s-one", cfg->dir, e->name, d->name);
    remove_tree(dir);
    void *h = e->open(dir, OPEN_FAST, err);
    if (!h) fail(e, "open", err);
    double seconds;
    size_t n = append_phase(e, h, d, total, 0, cfg->append_seconds_max, &seconds);
    record_rate(e, "append_one", d, n, seconds);
    e->close(h);
    remove_tree(dir);
}

/* ------------------------------------------------------------ durable appends */

typedef struct durable_run {
    const engine_ops *e;
    void *h;
    const dataset *d;
    atomic_size_t next;
    atomic_int stop;
    size_t done[8];
} durable_run;

typedef struct durable_thread {
    durable_run *run;
    int index;
} durable_thread;

static void *durable_worker(void *arg) {
    durable_thread *t = arg;
    durable_run *r = t->run;
    char err[ERR_BYTES];
    size_t done = 0;
    while (!atomic_load_explicit(&r->stop, memory_order_relaxed)) {
        size_t n = atomic_fetch_add(&r->next, 1);
        if (r->e->durable_append(r->h, t->index, r->d, n, err)) fail(r->e, "durable append", err);
        done++;
    }
    r->done[t->index] = done;
    return NULL;
}

static void durable(const bench_config *cfg, const engine_ops *e, const dataset *d, int threads) {
    char err[ERR_BYTES];
    char dir[4096], what[32];
    snprintf(what, sizeof what, "durable.%d.rps", threads);
    if (!e->durable_append) {
        metric_na(key_of(e, what), "no durable commit in this configuration");
        return;
    }
    snprintf(dir, sizeof dir, "%s/%s-durable-%d", cfg->dir, e->name, threads);
    remove_tree(dir);
    void *h = e->open(dir, OPEN_DURABLE, err);
    if (!h) fail(e, "open", err);
    if (e->durable_begin && e->durable_begin(h, threads, err)) fail(e, "durable_begin", err);
    durable_run run = {.e = e, .h = h, .d = d};
    durable_thread args[8];
    pthread_t ids[8];
    double start = now_seconds();
    for (int i = 0; i < threads; i++) {
        args[i] = (durable_thread){&run, i};
        if (pthread_create(&ids[i], NULL, durable_worker, &args[i])) die("pthread_create failed");
    }
    struct timespec pause = {(time_t)cfg->durable_seconds,
                             (long)((cfg->durable_seconds - (double)(time_t)cfg->durable_seconds) * 1e9)};
    nanosleep(&pause, NULL);
    atomic_store(&run.stop, 1);
    size_t total = 0;
    for (int i = 0; i < threads; i++) {
        pthread_join(ids[i], NULL);
        total += run.done[i];
    }
    double seconds = now_seconds() - start;
    if (e->durable_end) e->durable_end(h);
    e->close(h);
    remove_tree(dir);
    metric_add(key_of(e, what), (double)total / seconds);
}

void run_common_workloads(const bench_config *cfg, const engine_ops *e, const dataset *d100, const dataset *d1k) {
    const dataset *sets[] = {d100, d1k};
    for (int i = 0; i < 2; i++) {
        const dataset *d = sets[i];
        const char *size = i ? "1 KiB" : "100-byte";
        size_t total = i ? cfg->records_1k : cfg->records_100;
        if (!listed(cfg->sizes, d->name)) continue;
        if (listed(cfg->workloads, "batch")) {
            note("%s: append (batch API), bytes on disk, replay%s, %s events", e->name, i ? "" : " and random reads",
                 size);
            write_and_read(cfg, e, d, total, i == 0);
        }
        if (listed(cfg->workloads, "one")) {
            note("%s: append (one-record API), %s events", e->name, size);
            append_one_by_one(cfg, e, d, total);
        }
    }
    if (listed(cfg->workloads, "durable")) {
        note("%s: durable appends, 1 and 8 threads", e->name);
        durable(cfg, e, d100, 1);
        durable(cfg, e, d100, 8);
    }
}
