/* SPDX-License-Identifier: Apache-2.0 */
/*
 * engine_rocksdb.c - RocksDB through its C API as an append-only log: key =
 * offset as 8 big-endian bytes (so keys arrive in order), value = timestamp
 * (8 bytes) + key (16) + event. LZ4 on every level, WAL on,
 * increase_parallelism(2) for the 2-core machine, everything else default.
 * The batch API is a WriteBatch per batch, the one-record API rocksdb_put.
 * Not durable: sync = false (the WAL is written but not synced); durable:
 * sync = true, which RocksDB group-commits across threads. Before close the
 * memtable is flushed, so bytes on disk are SST files, not a WAL.
 */
#include "bench.h"

#include <rocksdb/c.h>
#include <stdlib.h>
#include <string.h>

typedef struct rd_handle {
    rocksdb_t *db;
    rocksdb_options_t *options;
    rocksdb_writeoptions_t *write;
    rocksdb_readoptions_t *read;
    rocksdb_writebatch_t *batch;
    int mode;
} rd_handle;

#define VALUE_MAX 4096

static void rd_close(void *p) {
    rd_handle *h = p;
    if (h->db && h->mode != OPEN_READ) {
        char *error = NULL;
        rocksdb_flushoptions_t *flush = rocksdb_flushoptions_create();
        rocksdb_flushoptions_set_wait(flush, 1);
        rocksdb_flush(h->db, flush, &error);
        rocksdb_flushoptions_destroy(flush);
        if (error) die("rocksdb_flush: %s", error);
    }
    if (h->db) rocksdb_close(h->db);
    rocksdb_writebatch_destroy(h->batch);
    rocksdb_readoptions_destroy(h->read);
    rocksdb_writeoptions_destroy(h->write);
    rocksdb_options_destroy(h->options);
    free(h);
}

static void *rd_open(const char *dir, int mode, char *err) {
    rd_handle *h = calloc(1, sizeof *h);
    h->mode = mode;
    h->options = rocksdb_options_create();
    rocksdb_options_set_create_if_missing(h->options, 1);
    rocksdb_options_increase_parallelism(h->options, 2);
    rocksdb_options_set_compression(h->options, rocksdb_lz4_compression);
    h->write = rocksdb_writeoptions_create();
    rocksdb_writeoptions_set_sync(h->write, mode == OPEN_DURABLE);
    h->read = rocksdb_readoptions_create();
    h->batch = rocksdb_writebatch_create();
    char *error = NULL;
    h->db = rocksdb_open(h->options, dir, &error);
    if (error) {
        snprintf(err, ERR_BYTES, "rocksdb_open: %s", error);
        rocksdb_free(error);
        rd_close(h);
        return NULL;
    }
    return h;
}

/* Builds the key and value of stream record n; returns the value length. */
static size_t encode(const dataset *d, size_t n, char key[8], char *value) {
    for (int i = 0; i < 8; i++) key[i] = (char)((uint64_t)n >> (56 - 8 * i));
    size_t len;
    const void *event = dataset_value(d, n, &len);
    int64_t ts = dataset_timestamp(n);
    memcpy(value, &ts, 8);
    memcpy(value + 8, dataset_key(d, n), d->key_bytes);
    memcpy(value + 8 + d->key_bytes, event, len);
    return 8 + d->key_bytes + len;
}

static int check(char *error, char *err, const char *what) {
    if (!error) return 0;
    snprintf(err, ERR_BYTES, "%s: %s", what, error);
    rocksdb_free(error);
    return -1;
}

static int rd_append_batch(void *p, const dataset *d, size_t n, size_t count, char *err) {
    rd_handle *h = p;
    char key[8], value[VALUE_MAX];
    rocksdb_writebatch_clear(h->batch);
    for (size_t i = 0; i < count; i++) {
        size_t len = encode(d, n + i, key, value);
        rocksdb_writebatch_put(h->batch, key, 8, value, len);
    }
    char *error = NULL;
    rocksdb_write(h->db, h->write, h->batch, &error);
    return check(error, err, "rocksdb_write");
}

static int rd_append_one(void *p, const dataset *d, size_t n, char *err) {
    rd_handle *h = p;
    char key[8], value[VALUE_MAX];
    size_t len = encode(d, n, key, value);
    char *error = NULL;
    rocksdb_put(h->db, h->write, key, 8, value, len, &error);
    return check(error, err, "rocksdb_put");
}

static int rd_durable_append(void *p, int thread, const dataset *d, size_t n, char *err) {
    (void)thread;
    return rd_append_one(p, d, n, err);
}

static int rd_replay(void *p, read_sum *sum, char *err) {
    rd_handle *h = p;
    rocksdb_iterator_t *it = rocksdb_create_iterator(h->db, h->read);
    for (rocksdb_iter_seek_to_first(it); rocksdb_iter_valid(it); rocksdb_iter_next(it)) {
        size_t len;
        const char *v = rocksdb_iter_value(it, &len);
        read_sum_add(sum, v + 8, BENCH_KEY_BYTES, v + 8 + BENCH_KEY_BYTES, len - 8 - BENCH_KEY_BYTES);
    }
    char *error = NULL;
    rocksdb_iter_get_error(it, &error);
    rocksdb_iter_destroy(it);
    return check(error, err, "rocksdb iterator");
}

static int rd_read_at(void *p, uint64_t offset, read_sum *sum, char *err) {
    rd_handle *h = p;
    char key[8];
    for (int i = 0; i < 8; i++) key[i] = (char)(offset >> (56 - 8 * i));
    char *error = NULL;
    rocksdb_pinnableslice_t *slice = rocksdb_get_pinned(h->db, h->read, key, 8, &error);
    if (check(error, err, "rocksdb_get_pinned")) return -1;
    if (!slice) return snprintf(err, ERR_BYTES, "key %llu not found", (unsigned long long)offset), -1;
    size_t len;
    const char *v = rocksdb_pinnableslice_value(slice, &len);
    read_sum_add(sum, v + 8, BENCH_KEY_BYTES, v + 8 + BENCH_KEY_BYTES, len - 8 - BENCH_KEY_BYTES);
    rocksdb_pinnableslice_destroy(slice);
    return 0;
}

static const char *rd_version(void) { return BENCH_ROCKSDB_VERSION; }

const engine_ops rocksdb_engine = {
    .name = "rocksdb",
    .description = "RocksDB, LZ4, WAL on (sync=false; durable: sync=true), big-endian offset keys, batch = WriteBatch",
    .open = rd_open,
    .append_batch = rd_append_batch,
    .append_one = rd_append_one,
    .durable_append = rd_durable_append,
    .replay = rd_replay,
    .read_at = rd_read_at,
    .close = rd_close,
    .version = rd_version,
};
