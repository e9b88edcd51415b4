/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ceilings.c - what one core can do with the same bytes, measured in the
 * same run: liblz4 compression and decompression of the data set's key and
 * value bytes, cut as libeventlog cuts them (256 KiB batches of independent
 * 64 KiB blocks, LZ4_compress_fast_extState with acceleration 1, as
 * KafkaLZ4.swift does), and memcpy bandwidth on a buffer far larger than the
 * caches. libeventlog's append and replay speeds are reported against LZ4
 * measured again right before and after each of them (lz4_probe, used by
 * workloads.c): this machine's speed drifts by a third between the phases of
 * one run, and a ratio of two figures taken minutes apart would measure that.
 */
#include "bench.h"

#include <lz4.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define BATCH_BYTES (256u << 10)
#define BLOCK_BYTES (64u << 10)

/* The stream's key and value bytes, back to back, about `bytes` of them. */
static uint8_t *stream_bytes(const dataset *d, size_t bytes, size_t *len) {
    uint8_t *buf = malloc(bytes + 4096);
    if (!buf) die("ceilings: out of memory");
    size_t used = 0;
    for (size_t n = 0; used < bytes; n++) {
        size_t value_len;
        const uint8_t *value = dataset_value(d, n, &value_len);
        if (used + d->key_bytes + value_len > bytes + 4096) break;
        memcpy(buf + used, dataset_key(d, n), d->key_bytes);
        used += d->key_bytes;
        memcpy(buf + used, value, value_len);
        used += value_len;
    }
    *len = used;
    return buf;
}

/* The data set's stream, and its blocks compressed once, for measuring
 * either direction as often as needed. */
struct lz4_probe {
    uint8_t *src, *back;
    size_t len, blocks, compressed;
    char *dst;
    int *sizes;
    void *state;
};

lz4_probe *lz4_probe_new(const bench_config *cfg, const dataset *d) {
    lz4_probe *p = calloc(1, sizeof *p);
    if (!p) die("ceilings: out of memory");
    p->src = stream_bytes(d, cfg->quick ? (16u << 20) : (64u << 20), &p->len);
    p->blocks = (p->len + BLOCK_BYTES - 1) / BLOCK_BYTES;
    p->dst = malloc((size_t)LZ4_compressBound(BLOCK_BYTES) * p->blocks);
    p->sizes = malloc(p->blocks * sizeof *p->sizes);
    p->back = malloc(p->len);
    p->state = malloc((size_t)LZ4_sizeofState());
    if (!p->dst || !p->sizes || !p->back || !p->state) die("ceilings: out of memory");
    lz4_probe_compress_mbps(p, 0);
    return p;
}

void lz4_probe_free(lz4_probe *p) {
    free(p->src);
    free(p->dst);
    free(p->sizes);
    free(p->back);
    free(p->state);
    free(p);
}

double lz4_probe_ratio(const lz4_probe *p) { return (double)p->len / (double)p->compressed; }

/* Compresses every block of the stream, repeated until min_seconds. */
double lz4_probe_compress_mbps(lz4_probe *p, double min_seconds) {
    size_t rounds = 0;
    double start = now_seconds(), elapsed;
    do {
        p->compressed = 0;
        for (size_t b = 0; b < p->blocks; b++) {
            size_t block_len = b + 1 < p->blocks ? BLOCK_BYTES : p->len - b * BLOCK_BYTES;
            char *out = p->dst + (size_t)LZ4_compressBound(BLOCK_BYTES) * b;
            p->sizes[b] = LZ4_compress_fast_extState(p->state, (const char *)p->src + b * BLOCK_BYTES, out,
                                                     (int)block_len, LZ4_compressBound(BLOCK_BYTES), 1);
            if (p->sizes[b] <= 0) die("ceilings: LZ4 compression failed");
            p->compressed += (size_t)p->sizes[b];
        }
        rounds++;
        elapsed = now_seconds() - start;
    } while (elapsed < min_seconds);
    return (double)p->len * (double)rounds / elapsed / 1e6;
}

/* Decompresses blocks [first, last) once; false if one does not round-trip. */
static int decompress_blocks(lz4_probe *p, size_t first, size_t last) {
    for (size_t b = first; b < last; b++) {
        size_t block_len = b + 1 < p->blocks ? BLOCK_BYTES : p->len - b * BLOCK_BYTES;
        const char *in = p->dst + (size_t)LZ4_compressBound(BLOCK_BYTES) * b;
        if (LZ4_decompress_safe(in, (char *)p->back + b * BLOCK_BYTES, p->sizes[b], (int)block_len) !=
            (int)block_len)
            return 0;
    }
    return 1;
}

/* Decompresses the blocks, repeated until min_seconds, and checks the result. */
double lz4_probe_decompress_mbps(lz4_probe *p, double min_seconds) {
    size_t rounds = 0;
    double start = now_seconds(), elapsed;
    do {
        if (!decompress_blocks(p, 0, p->blocks)) die("ceilings: LZ4 decompression failed");
        rounds++;
        elapsed = now_seconds() - start;
    } while (elapsed < min_seconds);
    if (memcmp(p->back, p->src, p->len) != 0) die("ceilings: LZ4 round trip differs");
    return (double)p->len * (double)rounds / elapsed / 1e6;
}

/* One thread's share of a decompression on several threads. */
typedef struct {
    lz4_probe *p;
    size_t first, last, rounds;
    double start, min_seconds, elapsed;
    int failed;
} decompress_share;

static void *decompress_share_run(void *arg) {
    decompress_share *s = arg;
    do {
        if (!decompress_blocks(s->p, s->first, s->last)) s->failed = 1;
        s->rounds++;
        s->elapsed = now_seconds() - s->start;
    } while (!s->failed && s->elapsed < s->min_seconds);
    return NULL;
}

/* LZ4 alone on `threads` threads, each decompressing its own run of the
 * blocks again and again: what any scan of these bytes on that many threads
 * can reach on this machine at best (shared caches, memory bandwidth and
 * clock speed with more cores busy all count). Bytes per second of wall
 * time, from a common start to the last thread's end. */
double lz4_probe_decompress_mbps_on(lz4_probe *p, double min_seconds, unsigned threads) {
    if (threads < 1 || threads > 16) die("ceilings: %u threads", threads);
    decompress_share shares[16];
    pthread_t ids[16];
    double start = now_seconds();
    for (unsigned t = 0; t < threads; t++) {
        shares[t] = (decompress_share){.p = p, .first = p->blocks * t / threads,
                                       .last = p->blocks * (t + 1) / threads, .start = start,
                                       .min_seconds = min_seconds};
        if (pthread_create(&ids[t], NULL, decompress_share_run, &shares[t])) die("pthread_create failed");
    }
    double bytes = 0, elapsed = 0;
    for (unsigned t = 0; t < threads; t++) {
        pthread_join(ids[t], NULL);
        if (shares[t].failed) die("ceilings: LZ4 decompression failed");
        size_t end = shares[t].last * BLOCK_BYTES < p->len ? shares[t].last * BLOCK_BYTES : p->len;
        bytes += (double)(end - shares[t].first * BLOCK_BYTES) * (double)shares[t].rounds;
        if (shares[t].elapsed > elapsed) elapsed = shares[t].elapsed;
    }
    if (memcmp(p->back, p->src, p->len) != 0) die("ceilings: LZ4 round trip differs");
    return bytes / elapsed / 1e6;
}

static void lz4_ceiling(const bench_config *cfg, const dataset *d) {
    lz4_probe *p = lz4_probe_new(cfg, d);
    double min_seconds = cfg->quick ? 0.2 : 1.0;
    char key[96];
    snprintf(key, sizeof key, "ceiling.lz4_compress.%s.mbps", d->name);
    metric_add(key, lz4_probe_compress_mbps(p, min_seconds));
    snprintf(key, sizeof key, "ceiling.lz4_ratio.%s", d->name);
    metric_add(key, lz4_probe_ratio(p));
    snprintf(key, sizeof key, "ceiling.lz4_decompress.%s.mbps", d->name);
    metric_add(key, lz4_probe_decompress_mbps(p, min_seconds));
    lz4_probe_free(p);
}

/* memcpy between two buffers much larger than the last-level cache: the
 * bytes copied per second, on one core. */
static void memcpy_ceiling(const bench_config *cfg) {
    size_t len = cfg->quick ? (64u << 20) : (256u << 20);
    uint8_t *a = malloc(len), *b = malloc(len);
    if (!a || !b) die("ceilings: out of memory");
    memset(a, 1, len);
    memset(b, 2, len);
    double min_seconds = cfg->quick ? 0.2 : 1.0;
    size_t rounds = 0;
    double start = now_seconds(), elapsed;
    do {
        memcpy(rounds % 2 ? a : b, rounds % 2 ? b : a, len);
        rounds++;
        elapsed = now_seconds() - start;
    } while (elapsed < min_seconds);
    /* Keep the copies observable. */
    volatile uint8_t sink = a[len / 2] ^ b[len / 3];
    (void)sink;
    metric_add("ceiling.memcpy.mbps", (double)len * (double)rounds / elapsed / 1e6);
    free(a);
    free(b);
}

void run_ceilings(const bench_config *cfg, const dataset *d100, const dataset *d1k) {
    lz4_ceiling(cfg, d100);
    lz4_ceiling(cfg, d1k);
    memcpy_ceiling(cfg);
}
