/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench.h - what the files of the benchmark share: the run configuration,
 * the generated data set, the engine interface every store implements, the
 * metric registry that collects one sample per run, and small clock and file
 * helpers.
 *
 * The benchmark is single-threaded except where a workload says otherwise
 * (durable appends with 8 threads, the in-process tail reader). The metric
 * registry is only touched by the main thread.
 */
#ifndef BENCH_H
#define BENCH_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "hist.h"

/* ------------------------------------------------------------- configuration */

typedef struct bench_config {
    int quick;                  /* the CI smoke mode */
    int runs;                   /* the suite runs this many times; medians are reported */
    const char *dir;            /* scratch directory for all stores */
    const char *json_path;      /* where the JSON result goes */
    const char *only;           /* comma-separated engine names, or NULL for all */
    const char *phases;         /* comma-separated phases (ceilings,common,tail,crash,compact), or NULL for all */
    const char *workloads;      /* within "common": batch,one,durable, or NULL for all */
    const char *sizes;          /* within "common": 100,1k, or NULL for both */
    const char *command;        /* the command line, for the report */
    const char *self;           /* path of this executable, for child processes */
    const char *cli;            /* the `eventlog` tool, for the dump workload; NULL: not measured */
    const char *first_compactor; /* an `eventlog` tool built from the first compactor's code
                                    (bench/build_first_compactor.sh), timed on the same log
                                    beside eventlog_compact; NULL: not measured */

    size_t records_100;         /* records appended per append workload, 100-byte events */
    size_t records_1k;          /* same, 1 KiB events */
    size_t distinct_100;        /* distinct generated events (the data cycles through them) */
    size_t distinct_1k;
    size_t batch_records;       /* records per batch-API call */
    double append_seconds_max;  /* an append workload stops after this long */
    double durable_seconds;     /* duration of each durable-append measurement */
    size_t random_reads;        /* random reads measured (as many again warm the cache) */
    size_t tail_records;        /* records sent per tail-latency measurement */
    double tail_rate;           /* records/s the tail writer sends */
    size_t tail_flush_every;    /* records per flush in the tail workload */
    double idle_seconds;        /* how long the idle reader is watched */
    uint64_t crash_log_bytes;   /* size of the log killed mid-append */
    size_t compact_records;     /* records in the log that is compacted */
    uint64_t compact_segment_bytes;
} bench_config;

/* ------------------------------------------------------------------ data set */

/* Deterministic JSON-like events: record i of a data set is the same on every
 * machine and every run. Values live back to back in one buffer. */
typedef struct dataset {
    const char *name;       /* "100" or "1k" */
    size_t count;           /* distinct records */
    size_t key_bytes;       /* 16 */
    size_t key_space;       /* distinct keys: records share keys, so compaction has work */
    uint8_t *keys;          /* count * key_bytes */
    uint8_t *values;        /* all values, back to back */
    size_t *value_start;    /* count + 1 entries: value i is values[value_start[i] .. value_start[i+1]) */
    size_t value_bytes;     /* total value bytes */
} dataset;

#define BENCH_KEY_BYTES 16
#define BENCH_TIMESTAMP_BASE INT64_C(1700000000000)

void dataset_generate(dataset *d, const char *name, size_t count, size_t target_value_bytes);
void dataset_free(dataset *d);

/* Record n of an append stream that cycles through the data set. */
static inline const uint8_t *dataset_key(const dataset *d, size_t n) {
    return d->keys + (n % d->count) * d->key_bytes;
}
static inline const uint8_t *dataset_value(const dataset *d, size_t n, size_t *len) {
    size_t i = n % d->count;
    *len = d->value_start[i + 1] - d->value_start[i];
    return d->values + d->value_start[i];
}
static inline int64_t dataset_timestamp(size_t n) { return BENCH_TIMESTAMP_BASE + (int64_t)(n / 1000); }
/* Mean key + value bytes of one record. */
static inline double dataset_record_bytes(const dataset *d) {
    return (double)d->key_bytes + (double)d->value_bytes / (double)d->count;
}

/* ------------------------------------------------------------------- engines */

/* How a store is opened: for throughput (no sync at commit) or for durable
 * appends (each commit waits for the disk). */
enum { OPEN_FAST = 0, OPEN_DURABLE = 1, OPEN_READ = 2 };

/* Checksum of what a read returned, so the compiler keeps the reads and a
 * broken engine shows up as a wrong count. */
typedef struct read_sum {
    uint64_t records;
    uint64_t bytes;   /* key + value bytes */
    uint64_t mix;     /* xor of the first value byte of each record */
} read_sum;

static inline void read_sum_add(read_sum *s, const void *key, size_t key_len, const void *value, size_t value_len) {
    (void)key;
    s->records++;
    s->bytes += key_len + value_len;
    if (value_len) s->mix ^= *(const uint8_t *)value;
}

/* A store under test. Every function returns 0 or -1 with a message in err
 * (ERR_BYTES). Offsets are 0-based positions in append order. */
#define ERR_BYTES 512
typedef struct engine_ops {
    const char *name;        /* short name used in metric keys and the table */
    const char *description; /* the configuration, for the report */
    /* open a store in dir (created if missing) */
    void *(*open)(const char *dir, int mode, char *err);
    /* append records n .. n+count-1 of the stream as one batch-API unit */
    int (*append_batch)(void *h, const dataset *d, size_t n, size_t count, char *err);
    /* append record n with the one-record API */
    int (*append_one)(void *h, const dataset *d, size_t n, char *err);
    /* make everything appended visible to readers (NULL: nothing to do) */
    int (*finish)(void *h, char *err);
    /* durable appends: per-thread state for `threads` threads, then one
     * record per call that returns once it is durable; NULL if unsupported */
    int (*durable_begin)(void *h, int threads, char *err);
    int (*durable_append)(void *h, int thread, const dataset *d, size_t n, char *err);
    void (*durable_end)(void *h);
    /* read every record in order */
    int (*replay)(void *h, read_sum *sum, char *err);
    /* read every record on `threads` threads, in no particular order across
     * threads (NULL: the store has no parallel scan) */
    int (*scan)(void *h, unsigned threads, read_sum *sum, char *err);
    /* read the record at offset */
    int (*read_at)(void *h, uint64_t offset, read_sum *sum, char *err);
    void (*close)(void *h);
    const char *(*version)(void);
} engine_ops;

extern const engine_ops eventlog_engine;
extern const engine_ops sqlite_normal_engine;
extern const engine_ops sqlite_full_engine;
extern const engine_ops lmdb_engine;
extern const engine_ops rocksdb_engine;

/* Runs the workloads every engine shares (append, durable append, replay,
 * random reads, bytes per record) and records their metrics. */
void run_common_workloads(const bench_config *cfg, const engine_ops *e, const dataset *d100, const dataset *d1k);

/* libeventlog-only workloads (engine_eventlog.c and tail.c). */
void run_tail_latency(const bench_config *cfg);
void run_crash_open(const bench_config *cfg);
void run_compaction(const bench_config *cfg, const dataset *d100);
/* Entry points of the child processes (bench --tail-reader / --crash-writer). */
int tail_reader_main(int argc, char **argv);
int crash_writer_main(int argc, char **argv);

/* Ceilings (ceilings.c): one-core LZ4 and memcpy speed. */
void run_ceilings(const bench_config *cfg, const dataset *d100, const dataset *d1k);
/* One-core LZ4 speed on a data set's bytes, measurable again and again: for
 * ratios against LZ4 measured right beside a workload, as the machine's
 * speed drifts between the phases of a run. */
typedef struct lz4_probe lz4_probe;
lz4_probe *lz4_probe_new(const bench_config *cfg, const dataset *d);
double lz4_probe_compress_mbps(lz4_probe *p, double min_seconds);
double lz4_probe_decompress_mbps(lz4_probe *p, double min_seconds);
double lz4_probe_decompress_mbps_on(lz4_probe *p, double min_seconds, unsigned threads);
double lz4_probe_ratio(const lz4_probe *p);
void lz4_probe_free(lz4_probe *p);
/* The wake-up ceiling (wakeup.c): a raw futex between two processes, run
 * with the tail-latency workload. */
void run_wakeup_ceiling(const bench_config *cfg);

/* ------------------------------------------------------------------- metrics */

/* One sample per run and metric; names look like "eventlog.append_batch.100.rps".
 * A metric marked n/a keeps its reason and is printed as "n/a". */
void metric_add(const char *name, double value);
void metric_na(const char *name, const char *reason);
/* The median of the samples; returns 0 if there are none. */
int metric_get(const char *name, double *median);
const char *metric_na_reason(const char *name);
/* Iteration for the JSON writer. */
size_t metric_count(void);
const char *metric_name(size_t i);
size_t metric_samples(size_t i, const double **samples);

/* Tail-latency histograms, merged over runs: "same", "cross" and "futex"
 * (the wake-up ceiling). */
hist *tail_hist(const char *mode);

/* ------------------------------------------------------------------- report */

/* Every engine, libeventlog first. */
const engine_ops *const *bench_engines(size_t *count);

void report_table(const bench_config *cfg, FILE *out);
int report_json(const bench_config *cfg, const char *path);

/* ----------------------------------------------------------------- helpers */

/* Is `name` in the comma-separated `list` (NULL: everything is)? */
int listed(const char *list, const char *name);

double now_seconds(void);
uint64_t now_ns(void);
/* Sleeps until CLOCK_MONOTONIC reaches `when` (ns). */
void sleep_until_ns(uint64_t when);
/* Removes dir and everything in it (no error if missing). */
void remove_tree(const char *path);
/* Allocated bytes (st_blocks) and apparent bytes of all files below path. */
void tree_bytes(const char *path, uint64_t *allocated, uint64_t *apparent);
/* dir/name in a static rotating buffer. */
const char *path_join(const char *dir, const char *name);

/* Runs the tool argv[0] with `argv` (NULL-terminated, at least a command
 * and one argument) and its standard output in the file `out`, created or
 * truncated; returns the seconds from start to exit. Dies if the tool
 * cannot start or does not exit with 0. */
double run_tool(const char *const argv[], const char *out);
void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int cmp_double(const void *a, const void *b);

#endif /* BENCH_H */
