/* SPDX-License-Identifier: Apache-2.0 */
/*
 * hist.h - a latency histogram in the manner of HdrHistogram: log-linear
 * buckets (powers of two, each split into 128 linear sub-buckets), so any
 * value from 1 ns to hours is kept within 0.8 % with a fixed 60 KiB of
 * counters, recording is a few instructions, and histograms add up.
 * Not thread-safe: one writer at a time.
 */
#ifndef BENCH_HIST_H
#define BENCH_HIST_H

#include <stdint.h>

#define HIST_SUB_BITS 8                      /* 256 sub-buckets in bucket 0, 128 above */
#define HIST_HALF (1u << (HIST_SUB_BITS - 1))
#define HIST_SLOTS ((64 - HIST_SUB_BITS + 1) * HIST_HALF + HIST_HALF)

typedef struct hist {
    uint64_t counts[HIST_SLOTS];
    uint64_t total;
    uint64_t min, max;
} hist;

void hist_init(hist *h);
void hist_record(hist *h, uint64_t value);
void hist_add(hist *into, const hist *from);
/* The value at percentile p (0..100): the highest value equivalent to the
 * bucket holding it, clamped to the largest value recorded. 0 if empty. */
uint64_t hist_percentile(const hist *h, double p);

#endif
