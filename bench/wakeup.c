/* SPDX-License-Identifier: Apache-2.0 */
/*
 * wakeup.c - the wake-up ceiling: what the machine itself gives a reader in
 * another process that waits for a writer, with no library in between. The
 * writer stamps CLOCK_MONOTONIC into a ring, publishes a sequence number and
 * wakes the reader through a futex on a shared mapping, at the same rate and
 * with the same pacing as the tail-latency workload; the reader uses the
 * announce / snapshot / re-check / FUTEX_WAIT pattern of BUILD-NOTES Part 2
 * §1 and records now - stamp for every entry it sees. Measured in the same run
 * as libeventlog's tail latency, it shows how much of that latency is the
 * VM's scheduler and how much is the library.
 */
#include "bench.h"

#include <limits.h>
#include <linux/futex.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define RING (1u << 16)

typedef struct shared {
    _Atomic uint64_t seq;
    _Atomic uint32_t word;
    _Atomic uint32_t waiters;
    _Atomic int stop;
    uint64_t stamps[RING];
    double reader_cpu_seconds;
    hist latency;
} shared;

static double cpu_seconds(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) + (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static long futex(_Atomic uint32_t *word, int op, uint32_t value, const struct timespec *timeout) {
    return syscall(SYS_futex, (uint32_t *)word, op, value, timeout, NULL, 0);
}

static void reader(shared *s) {
    uint64_t last = 0;
    struct timespec slice = {0, 100 * 1000 * 1000};
    while (!atomic_load(&s->stop)) {
        uint64_t seq = atomic_load_explicit(&s->seq, memory_order_acquire);
        if (seq == last) {
            atomic_fetch_add(&s->waiters, 1);
            for (;;) {
                uint32_t w = atomic_load(&s->word);
                if (atomic_load(&s->seq) != last || atomic_load(&s->stop)) break;
                futex(&s->word, FUTEX_WAIT, w, &slice);
            }
            atomic_fetch_sub(&s->waiters, 1);
            continue;
        }
        uint64_t now = now_ns();
        for (uint64_t i = last + 1; i <= seq; i++) hist_record(&s->latency, now - s->stamps[i % RING]);
        last = seq;
    }
}

static void publish(shared *s, uint64_t seq) {
    s->stamps[seq % RING] = now_ns();
    atomic_store_explicit(&s->seq, seq, memory_order_release);
    atomic_fetch_add(&s->word, 1);
    if (atomic_load(&s->waiters)) futex(&s->word, FUTEX_WAKE, INT_MAX, NULL);
}

void run_wakeup_ceiling(const bench_config *cfg) {
    note("ceiling: raw futex wake-up of another process (%zu wake-ups at %.0f/s)", cfg->tail_records, cfg->tail_rate);
    shared *s = mmap(NULL, sizeof *s, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (s == MAP_FAILED) die("mmap failed");
    hist_init(&s->latency);
    pid_t pid = fork();
    if (pid < 0) die("fork failed");
    if (pid == 0) {
        double cpu0 = cpu_seconds();
        reader(s);
        s->reader_cpu_seconds = cpu_seconds() - cpu0;
        _exit(0);
    }
    /* Give the reader time to start waiting. */
    struct timespec pause = {0, 20 * 1000 * 1000};
    nanosleep(&pause, NULL);
    uint64_t interval = (uint64_t)(1e9 / cfg->tail_rate), start = now_ns();
    double cpu0 = cpu_seconds();
    for (uint64_t i = 0; i < cfg->tail_records; i++) {
        uint64_t due = start + i * interval;
        if (now_ns() < due) sleep_until_ns(due);
        publish(s, i + 1);
    }
    double sending = (double)(now_ns() - start) / 1e9;
    metric_add("ceiling.wakeup.writer_cpu_pct", 100.0 * (cpu_seconds() - cpu0) / sending);
    /* Let the reader see the last entry before it is told to stop. */
    while (s->latency.total < cfg->tail_records && now_ns() - start < (uint64_t)10e9) nanosleep(&pause, NULL);
    atomic_store(&s->stop, 1);
    atomic_fetch_add(&s->word, 1);
    futex(&s->word, FUTEX_WAKE, INT_MAX, NULL);
    int status;
    waitpid(pid, &status, 0);
    /* The reader's CPU over its whole life, which the sending phase fills
     * but for two short pauses. */
    metric_add("ceiling.wakeup.reader_cpu_pct", 100.0 * s->reader_cpu_seconds / ((double)(now_ns() - start) / 1e9));
    static const struct { const char *name; double p; } points[] = {
        {"p50_us", 50}, {"p90_us", 90}, {"p99_us", 99}, {"p999_us", 99.9}, {"max_us", 100}};
    char key[96];
    for (size_t i = 0; i < sizeof points / sizeof points[0]; i++) {
        snprintf(key, sizeof key, "ceiling.wakeup.%s", points[i].name);
        metric_add(key, (double)hist_percentile(&s->latency, points[i].p) / 1e3);
    }
    hist_add(tail_hist("futex"), &s->latency);
    munmap(s, sizeof *s);
}
