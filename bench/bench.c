/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench.c - the benchmark's command line: libeventlog against SQLite, LMDB
 * and RocksDB, plus the one-core ceilings (LZ4, memcpy), all measured in one
 * run that prints one table and writes one JSON file.
 *
 *   bench --quick                    CI smoke check: every workload, small sizes (< 1 min)
 *   bench --full [--runs 3]          the README figures: medians of several runs
 *   options: --dir DIR (scratch, default a new directory in /var/tmp)
 *            --json PATH (default bench-results.json)
 *            --only eventlog,rocksdb,...   --phases ceilings,common,tail,crash,compact
 *            --workloads batch,one,durable --sizes 100,1k (to profile one part)
 *            --tail-rate R --tail-flush-every N (the tail writer; default 100000/s, 1)
 *            --first-compactor PATH (the first compactor's tool, timed on the
 *              compaction log beside eventlog_compact: bench/build_first_compactor.sh)
 *
 * Exit status 0 when every workload ran, whatever the figures; a missed
 * target is reported, not an error. Internal modes, run as child processes:
 * --tail-reader DIR and --crash-writer DIR BYTES.
 */
#include "bench.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void die(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "bench: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    exit(1);
}

static double started;

void note(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "[%6.1fs] ", now_seconds() - started);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
}

static void quick_config(bench_config *c) {
    c->quick = 1;
    c->runs = 1;
    c->records_100 = 200000;
    c->records_1k = 20000;
    c->distinct_100 = 200000;
    c->distinct_1k = 20000;
    c->append_seconds_max = 1.5;
    c->durable_seconds = 0.3;
    c->random_reads = 5000;
    c->tail_records = 10000;
    c->idle_seconds = 0.5;
    c->crash_log_bytes = 48u << 20;
    c->compact_records = 200000;
    c->compact_segment_bytes = 1u << 20;
}

static void full_config(bench_config *c) {
    c->quick = 0;
    c->runs = 3;
    c->records_100 = 10000000;
    c->records_1k = 1000000;
    c->distinct_100 = 1000000;
    c->distinct_1k = 200000;
    c->append_seconds_max = 20;
    c->durable_seconds = 5;
    c->random_reads = 20000;
    c->tail_records = 200000;
    c->idle_seconds = 2;
    c->crash_log_bytes = 1u << 30;
    c->compact_records = 5000000;
    c->compact_segment_bytes = 64u << 20;
}

int listed(const char *list, const char *name) {
    if (!list) return 1;
    size_t len = strlen(name);
    for (const char *p = list; *p;) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (n == len && !strncmp(p, name, n)) return 1;
        if (!end) break;
        p = end + 1;
    }
    return 0;
}

static void usage(const char *argv0) {
    fprintf(stderr,
            "usage: %s --quick | --full [--runs N] [--dir DIR] [--json PATH]\n"
            "          [--only ENGINE,...] [--phases ceilings,common,tail,crash,compact]\n"
            "          [--workloads batch,one,durable] [--sizes 100,1k]   (parts of the common phase)\n"
            "          [--tail-rate RECORDS_PER_S] [--tail-flush-every N]   (default 100000 and 1)\n"
            "          [--cli PATH]   (the eventlog tool whose dump is measured beside replay)\n"
            "          [--first-compactor PATH]   (the first compactor's eventlog tool, timed beside compaction)\n"
            "engines: eventlog, sqlite-normal, sqlite-full, lmdb, rocksdb\n",
            argv0);
    exit(2);
}

static char *join_args(int argc, char **argv) {
    size_t len = 1;
    for (int i = 0; i < argc; i++) len += strlen(argv[i]) + 1;
    char *s = malloc(len), *p = s;
    for (int i = 0; i < argc; i++) p += sprintf(p, "%s%s", i ? " " : "", argv[i]);
    *p = 0;
    return s;
}

/* The 1-minute load average: other work on the machine makes figures noisy,
 * so the report shows what it was around each run. */
static double load_average(void) {
    double load = -1;
    FILE *f = fopen("/proc/loadavg", "r");
    if (f) {
        if (fscanf(f, "%lf", &load) != 1) load = -1;
        fclose(f);
    }
    return load;
}

static void run_suite(const bench_config *cfg, const dataset *d100, const dataset *d1k) {
    if (listed(cfg->phases, "ceilings")) {
        note("ceilings: LZ4 and memcpy, one core");
        run_ceilings(cfg, d100, d1k);
    }
    size_t n;
    const engine_ops *const *engines = bench_engines(&n);
    for (size_t i = 0; i < n; i++)
        if (listed(cfg->only, engines[i]->name) && listed(cfg->phases, "common"))
            run_common_workloads(cfg, engines[i], d100, d1k);
    if (!listed(cfg->only, "eventlog")) return;
    if (listed(cfg->phases, "tail")) run_tail_latency(cfg);
    if (listed(cfg->phases, "crash")) run_crash_open(cfg);
    if (listed(cfg->phases, "compact")) run_compaction(cfg, d100);
}

/* The scratch directory: the one given with --dir, or one this run creates
 * and removes at exit. */
static char scratch[4096];

static void remove_scratch(void) { remove_tree(scratch); }

int main(int argc, char **argv) {
    if (argc >= 2 && !strcmp(argv[1], "--tail-reader")) return tail_reader_main(argc, argv);
    if (argc >= 2 && !strcmp(argv[1], "--crash-writer")) return crash_writer_main(argc, argv);
    started = now_seconds();

    bench_config cfg = {0};
#ifdef EVENTLOG_BENCH_CLI
    cfg.cli = EVENTLOG_BENCH_CLI;
#endif
    int mode = -1, runs = 0;
    double tail_rate = 100000;
    size_t tail_flush_every = 1;
    const char *dir = NULL;
    cfg.json_path = "bench-results.json";
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--quick")) mode = 1;
        else if (!strcmp(argv[i], "--full")) mode = 0;
        else if (!strcmp(argv[i], "--runs") && i + 1 < argc) runs = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--dir") && i + 1 < argc) dir = argv[++i];
        else if (!strcmp(argv[i], "--json") && i + 1 < argc) cfg.json_path = argv[++i];
        else if (!strcmp(argv[i], "--only") && i + 1 < argc) cfg.only = argv[++i];
        else if (!strcmp(argv[i], "--phases") && i + 1 < argc) cfg.phases = argv[++i];
        else if (!strcmp(argv[i], "--workloads") && i + 1 < argc) cfg.workloads = argv[++i];
        else if (!strcmp(argv[i], "--sizes") && i + 1 < argc) cfg.sizes = argv[++i];
        else if (!strcmp(argv[i], "--cli") && i + 1 < argc) cfg.cli = argv[++i];
        else if (!strcmp(argv[i], "--first-compactor") && i + 1 < argc) cfg.first_compactor = argv[++i];
        else if (!strcmp(argv[i], "--tail-rate") && i + 1 < argc) tail_rate = atof(argv[++i]);
        else if (!strcmp(argv[i], "--tail-flush-every") && i + 1 < argc) tail_flush_every = (size_t)atol(argv[++i]);
        else usage(argv[0]);
    }
    if (mode < 0) usage(argv[0]);
    /* The presets set sizes only: the selections parsed above stay. */
    if (mode) quick_config(&cfg);
    else full_config(&cfg);
    if (runs > 0) cfg.runs = runs;
    cfg.batch_records = 1024;
    cfg.tail_rate = tail_rate > 0 ? tail_rate : 100000;
    cfg.tail_flush_every = tail_flush_every > 0 ? tail_flush_every : 1;
    char *command = join_args(argc, argv);
    cfg.command = command;

    static char self[4096];
    ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    if (len <= 0) die("cannot find my own executable: %s", strerror(errno));
    self[len] = 0;
    cfg.self = self;

    if (dir) {
        if (mkdir(dir, 0755) && errno != EEXIST) die("mkdir %s: %s", dir, strerror(errno));
        snprintf(scratch, sizeof scratch, "%s", dir);
    } else {
        snprintf(scratch, sizeof scratch, "/var/tmp/eventlog-bench-XXXXXX");
        if (!mkdtemp(scratch)) die("mkdtemp: %s", strerror(errno));
        /* Also when a workload fails: a full run leaves gigabytes behind. */
        atexit(remove_scratch);
    }
    cfg.dir = scratch;

    /* Only the ceilings, the common workloads and compaction use the data sets. */
    dataset d100 = {0}, d1k = {0};
    if (listed(cfg.phases, "ceilings") || listed(cfg.phases, "common") || listed(cfg.phases, "compact")) {
        note("generating data: %zu distinct 100-byte events, %zu distinct 1 KiB events", cfg.distinct_100,
             cfg.distinct_1k);
        dataset_generate(&d100, "100", cfg.distinct_100, 100);
        dataset_generate(&d1k, "1k", cfg.distinct_1k, 1024);
        note("mean record: %.1f bytes (100 B set), %.1f bytes (1 KiB set), keys included",
             dataset_record_bytes(&d100), dataset_record_bytes(&d1k));
    }

    for (int run = 0; run < cfg.runs; run++) {
        note("run %d of %d", run + 1, cfg.runs);
        metric_add("machine.load_average", load_average());
        run_suite(&cfg, &d100, &d1k);
        metric_add("machine.load_average", load_average());
    }
    report_table(&cfg, stdout);
    fflush(stdout);
    if (report_json(&cfg, cfg.json_path)) die("cannot write %s: %s", cfg.json_path, strerror(errno));
    note("wrote %s", cfg.json_path);
    dataset_free(&d100);
    dataset_free(&d1k);
    free(command);
    return 0;
}
