/* SPDX-License-Identifier: Apache-2.0 */
/*
 * crash.c - time to open a log after its writer was killed mid-append.
 *
 * A child (this program re-executed as `--crash-writer DIR BYTES`) appends
 * 100-byte events in batches as fast as it can; once the directory holds
 * BYTES and it has appended for a while in this run, it writes 'R' and goes
 * on appending. The parent then kills it with SIGKILL and times
 * eventlog_open (writable: the open that recovers the tail) and, separately,
 * eventlog_close.
 *   warm: the files are in the page cache, as right after a process crash;
 *   cold: a second crash of the same log, then every file is synced and
 *         dropped from the page cache with posix_fadvise(DONTNEED), as after
 *         a reboot, without dropping other programs' caches.
 */
#include "bench.h"

#include <dirent.h>
#include <errno.h>
#include <eventlog.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define WRITER_BATCH 1024
#define WRITER_DISTINCT 200000
/* Batches each writer run appends before it may report ready, so even the
 * second run is killed in the middle of real work. */
#define WRITER_WARMUP_BATCHES 256

int crash_writer_main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: %s --crash-writer DIR BYTES\n", argv[0]);
        return 2;
    }
    const char *dir = argv[2];
    uint64_t target = strtoull(argv[3], NULL, 10);
    dataset d;
    dataset_generate(&d, "100", WRITER_DISTINCT, 100);
    eventlog *log;
    int rc = eventlog_open(dir, NULL, &log);
    if (rc != EVENTLOG_OK) {
        fprintf(stderr, "crash writer: eventlog_open: %s (%s)\n", eventlog_strerror(rc), eventlog_errmsg());
        return 1;
    }
    eventlog_record *recs = calloc(WRITER_BATCH, sizeof *recs);
    int ready = 0;
    for (uint64_t batch = 0;; batch++) {
        size_t n0 = (size_t)(eventlog_end_offset(log));
        for (size_t i = 0; i < WRITER_BATCH; i++) {
            size_t len;
            const void *value = dataset_value(&d, n0 + i, &len);
            recs[i] = (eventlog_record){.timestamp = dataset_timestamp(n0 + i), .key = dataset_key(&d, n0 + i),
                                        .key_len = d.key_bytes, .value = value, .value_len = len};
        }
        rc = eventlog_append_batch(log, recs, WRITER_BATCH, NULL);
        if (rc != EVENTLOG_OK) {
            fprintf(stderr, "crash writer: append: %s (%s)\n", eventlog_strerror(rc), eventlog_errmsg());
            return 1;
        }
        if (!ready && batch >= WRITER_WARMUP_BATCHES && batch % 64 == 0) {
            uint64_t allocated, apparent;
            tree_bytes(dir, &allocated, &apparent);
            if (allocated >= target) {
                ready = 1;
                if (write(1, "R", 1) != 1) return 1;
            }
        }
    }
}

/* Runs a writer until it is ready, kills it; returns the directory's size. */
static uint64_t crash(const bench_config *cfg, const char *dir) {
    int pipefd[2];
    if (pipe(pipefd)) die("pipe failed");
    char target[32];
    snprintf(target, sizeof target, "%llu", (unsigned long long)cfg->crash_log_bytes);
    pid_t pid = fork();
    if (pid < 0) die("fork failed");
    if (pid == 0) {
        dup2(pipefd[1], 1);
        close(pipefd[0]);
        close(pipefd[1]);
        execl(cfg->self, cfg->self, "--crash-writer", dir, target, (char *)NULL);
        _exit(127);
    }
    close(pipefd[1]);
    char ready = 0;
    ssize_t n;
    while ((n = read(pipefd[0], &ready, 1)) < 0 && errno == EINTR) {}
    if (n != 1 || ready != 'R') die("crash writer failed before it was ready");
    /* Let it get well into its next appends. */
    struct timespec pause = {0, 20 * 1000 * 1000};
    nanosleep(&pause, NULL);
    kill(pid, SIGKILL);
    int status;
    waitpid(pid, &status, 0);
    close(pipefd[0]);
    if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL) die("crash writer ended before it was killed");
    uint64_t allocated, apparent;
    tree_bytes(dir, &allocated, &apparent);
    return allocated;
}

/* Syncs every file of dir and drops it from the page cache. */
static void evict(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) die("opendir %s: %s", dir, strerror(errno));
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        int fd = open(path_join(dir, e->d_name), O_RDONLY);
        if (fd < 0) continue;
        fdatasync(fd);
        posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
        close(fd);
    }
    closedir(d);
}

static void timed_open(const char *dir, const char *name) {
    eventlog *log;
    double start = now_seconds();
    int rc = eventlog_open(dir, NULL, &log);
    double opened = now_seconds();
    if (rc != EVENTLOG_OK) die("eventlog_open after a crash: %s (%s)", eventlog_strerror(rc), eventlog_errmsg());
    uint64_t end = eventlog_end_offset(log);
    rc = eventlog_close(log);
    double closed = now_seconds();
    if (rc != EVENTLOG_OK) die("eventlog_close after a crash: %s (%s)", eventlog_strerror(rc), eventlog_errmsg());
    char key[96];
    snprintf(key, sizeof key, "eventlog.crash_open.%s.open_ms", name);
    metric_add(key, (opened - start) * 1e3);
    snprintf(key, sizeof key, "eventlog.crash_open.%s.close_ms", name);
    metric_add(key, (closed - opened) * 1e3);
    snprintf(key, sizeof key, "eventlog.crash_open.%s.records", name);
    metric_add(key, (double)end);
}

void run_crash_open(const bench_config *cfg) {
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path_join(cfg->dir, "eventlog-crash"));
    remove_tree(dir);
    note("eventlog: open after a crash: writing a %.0f MB log, then SIGKILL", (double)cfg->crash_log_bytes / 1e6);
    uint64_t bytes = crash(cfg, dir);
    metric_add("eventlog.crash_open.log_bytes", (double)bytes);
    timed_open(dir, "warm");
    note("eventlog: open after a crash: second crash, files dropped from the page cache");
    crash(cfg, dir);
    evict(dir);
    timed_open(dir, "cold");
    remove_tree(dir);
}
