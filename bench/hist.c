/* SPDX-License-Identifier: Apache-2.0 */
/*
 * hist.c - the log-linear latency histogram of hist.h. Bucket b >= 1 holds
 * values in [128 << b, 256 << b) in 128 steps of 1 << b; bucket 0 holds
 * 0..255 exactly. Slot index = b * 128 + (value >> b).
 */
#include "hist.h"

#include <string.h>

static unsigned slot_of(uint64_t v) {
    unsigned top = v ? 63u - (unsigned)__builtin_clzll(v) : 0; /* floor(log2 v) */
    unsigned bucket = top < HIST_SUB_BITS ? 0 : top - (HIST_SUB_BITS - 1);
    return bucket * HIST_HALF + (unsigned)(v >> bucket);
}

/* The largest value that falls into `slot`. */
static uint64_t slot_high(unsigned slot) {
    if (slot < 2 * HIST_HALF) return slot;
    unsigned bucket = slot / HIST_HALF - 1;
    uint64_t sub = slot - bucket * HIST_HALF; /* in [128, 256) */
    return ((sub + 1) << bucket) - 1;
}

void hist_init(hist *h) {
    memset(h, 0, sizeof *h);
    h->min = UINT64_MAX;
}

void hist_record(hist *h, uint64_t value) {
    h->counts[slot_of(value)]++;
    h->total++;
    if (value < h->min) h->min = value;
    if (value > h->max) h->max = value;
}

void hist_add(hist *into, const hist *from) {
    for (unsigned i = 0; i < HIST_SLOTS; i++) into->counts[i] += from->counts[i];
    into->total += from->total;
    if (from->min < into->min) into->min = from->min;
    if (from->max > into->max) into->max = from->max;
}

uint64_t hist_percentile(const hist *h, double p) {
    if (h->total == 0) return 0;
    if (p >= 100.0) return h->max;
    uint64_t rank = (uint64_t)(p / 100.0 * (double)h->total + 0.5);
    if (rank < 1) rank = 1;
    uint64_t seen = 0;
    for (unsigned i = 0; i < HIST_SLOTS; i++) {
        seen += h->counts[i];
        if (seen >= rank) {
            uint64_t v = slot_high(i);
            return v > h->max ? h->max : (v < h->min ? h->min : v);
        }
    }
    return h->max;
}
