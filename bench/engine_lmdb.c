/* SPDX-License-Identifier: Apache-2.0 */
/*
 * engine_lmdb.c - LMDB as an append-only log: one database with
 * MDB_INTEGERKEY, key = offset (a native 64-bit integer), value =
 * timestamp (8 bytes) + key (16) + event, written with
 * MDB_APPEND | MDB_RESERVE (no tree search, no extra copy). The batch API is
 * one write transaction per batch, the one-record API one transaction per
 * record. Not durable: the environment is opened with MDB_NOSYNC; durable:
 * without it, so every commit syncs. LMDB has one writer at a time and no
 * group commit, so threads take turns.
 */
#include "bench.h"

#include <lmdb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct lm_handle {
    MDB_env *env;
    MDB_dbi dbi;
    MDB_txn *reader;     /* kept between read_at calls: reset, then renewed */
    size_t next_key;     /* guarded by the write transaction */
} lm_handle;

static int lm_fail(char *err, const char *what, int rc) {
    snprintf(err, ERR_BYTES, "%s: %s", what, mdb_strerror(rc));
    return -1;
}

static void lm_close(void *p) {
    lm_handle *h = p;
    if (h->reader) mdb_txn_abort(h->reader);
    mdb_env_close(h->env);
    free(h);
}

static void *lm_open(const char *dir, int mode, char *err) {
    mkdir(dir, 0755);
    lm_handle *h = calloc(1, sizeof *h);
    int rc;
    MDB_txn *txn;
    if ((rc = mdb_env_create(&h->env)) || (rc = mdb_env_set_mapsize(h->env, (size_t)64 << 30)) ||
        (rc = mdb_env_open(h->env, dir, mode == OPEN_FAST ? MDB_NOSYNC : 0, 0644))) {
        lm_fail(err, "mdb_env_open", rc);
        mdb_env_close(h->env);
        free(h);
        return NULL;
    }
    if ((rc = mdb_txn_begin(h->env, NULL, 0, &txn)) || (rc = mdb_dbi_open(txn, NULL, MDB_INTEGERKEY | MDB_CREATE, &h->dbi))) {
        lm_fail(err, "mdb_dbi_open", rc);
        lm_close(h);
        return NULL;
    }
    MDB_stat st;
    mdb_stat(txn, h->dbi, &st);
    h->next_key = st.ms_entries;
    if ((rc = mdb_txn_commit(txn))) {
        lm_fail(err, "mdb_txn_commit", rc);
        lm_close(h);
        return NULL;
    }
    return h;
}

/* Puts stream record n under the next key (write transaction held). */
static int put(lm_handle *h, MDB_txn *txn, const dataset *d, size_t n, char *err) {
    size_t value_len;
    const void *value = dataset_value(d, n, &value_len);
    size_t key = h->next_key;
    MDB_val k = {sizeof key, &key}, v = {8 + d->key_bytes + value_len, NULL};
    int rc = mdb_put(txn, h->dbi, &k, &v, MDB_APPEND | MDB_RESERVE);
    if (rc) return lm_fail(err, "mdb_put", rc);
    int64_t ts = dataset_timestamp(n);
    memcpy(v.mv_data, &ts, 8);
    memcpy((char *)v.mv_data + 8, dataset_key(d, n), d->key_bytes);
    memcpy((char *)v.mv_data + 8 + d->key_bytes, value, value_len);
    h->next_key++;
    return 0;
}

static int lm_append_batch(void *p, const dataset *d, size_t n, size_t count, char *err) {
    lm_handle *h = p;
    MDB_txn *txn;
    int rc = mdb_txn_begin(h->env, NULL, 0, &txn);
    if (rc) return lm_fail(err, "mdb_txn_begin", rc);
    for (size_t i = 0; i < count; i++)
        if (put(h, txn, d, n + i, err)) return mdb_txn_abort(txn), -1;
    if ((rc = mdb_txn_commit(txn))) return lm_fail(err, "mdb_txn_commit", rc);
    return 0;
}

static int lm_append_one(void *p, const dataset *d, size_t n, char *err) { return lm_append_batch(p, d, n, 1, err); }

static int lm_durable_append(void *p, int thread, const dataset *d, size_t n, char *err) {
    (void)thread;
    return lm_append_batch(p, d, n, 1, err);
}

static void add_value(read_sum *sum, const MDB_val *v) {
    const char *bytes = v->mv_data;
    read_sum_add(sum, bytes + 8, BENCH_KEY_BYTES, bytes + 8 + BENCH_KEY_BYTES, v->mv_size - 8 - BENCH_KEY_BYTES);
}

static int lm_replay(void *p, read_sum *sum, char *err) {
    lm_handle *h = p;
    MDB_txn *txn;
    MDB_cursor *cur;
    MDB_val k, v;
    int rc = mdb_txn_begin(h->env, NULL, MDB_RDONLY, &txn);
    if (rc) return lm_fail(err, "mdb_txn_begin", rc);
    if ((rc = mdb_cursor_open(txn, h->dbi, &cur))) return mdb_txn_abort(txn), lm_fail(err, "mdb_cursor_open", rc);
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
        add_value(sum, &v);
    mdb_cursor_close(cur);
    mdb_txn_abort(txn);
    return rc == MDB_NOTFOUND ? 0 : lm_fail(err, "mdb_cursor_get", rc);
}

static int lm_read_at(void *p, uint64_t offset, read_sum *sum, char *err) {
    lm_handle *h = p;
    int rc = h->reader ? mdb_txn_renew(h->reader) : mdb_txn_begin(h->env, NULL, MDB_RDONLY, &h->reader);
    if (rc) return lm_fail(err, "mdb_txn_begin", rc);
    size_t key = (size_t)offset;
    MDB_val k = {sizeof key, &key}, v;
    rc = mdb_get(h->reader, h->dbi, &k, &v);
    if (rc == 0) add_value(sum, &v);
    mdb_txn_reset(h->reader);
    return rc ? lm_fail(err, "mdb_get", rc) : 0;
}

static const char *lm_version(void) { return mdb_version(NULL, NULL, NULL); }

const engine_ops lmdb_engine = {
    .name = "lmdb",
    .description = "LMDB, MDB_INTEGERKEY + MDB_APPEND, MDB_NOSYNC (durable: sync commits), batch = one txn",
    .open = lm_open,
    .append_batch = lm_append_batch,
    .append_one = lm_append_one,
    .durable_append = lm_durable_append,
    .replay = lm_replay,
    .read_at = lm_read_at,
    .close = lm_close,
    .version = lm_version,
};
