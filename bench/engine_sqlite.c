/* SPDX-License-Identifier: Apache-2.0 */
/*
 * engine_sqlite.c - SQLite as the append-only log a C programmer would
 * build with it: WAL journal, one table
 *     events(id INTEGER PRIMARY KEY, ts INTEGER NOT NULL, key BLOB, value BLOB)
 * whose rowid is the offset + 1, prepared statements, blobs bound without a
 * copy. The batch API is one transaction per batch; the one-record API is
 * one autocommit INSERT per record. Two configurations: synchronous=NORMAL
 * (in WAL mode a commit does not sync; the WAL is synced at checkpoints) and
 * synchronous=FULL (every commit syncs the WAL, so it is durable).
 * Durable appends from several threads share one connection (serialized
 * threading mode) with one statement per thread: SQLite has one writer at a
 * time, and a connection per thread would only add busy-handler sleeps.
 */
#include "bench.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_THREADS 8

typedef struct sq_handle {
    sqlite3 *db;
    sqlite3_stmt *insert, *scan, *lookup;
    sqlite3_stmt *thread_insert[MAX_THREADS];
    int threads;
} sq_handle;

static int sq_fail(sq_handle *h, char *err, const char *what) {
    snprintf(err, ERR_BYTES, "%s: %s", what, h->db ? sqlite3_errmsg(h->db) : "no connection");
    return -1;
}

static int exec(sq_handle *h, const char *sql, char *err) {
    char *msg = NULL;
    if (sqlite3_exec(h->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        snprintf(err, ERR_BYTES, "%s: %s", sql, msg ? msg : "?");
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

static void sq_close(void *p) {
    sq_handle *h = p;
    sqlite3_finalize(h->insert);
    sqlite3_finalize(h->scan);
    sqlite3_finalize(h->lookup);
    for (int i = 0; i < h->threads; i++) sqlite3_finalize(h->thread_insert[i]);
    if (sqlite3_close(h->db) != SQLITE_OK) die("sqlite3_close: %s", sqlite3_errmsg(h->db));
    free(h);
}

static void *sq_open(const char *dir, int mode, int full, char *err) {
    (void)mode;
    mkdir(dir, 0755);
    sq_handle *h = calloc(1, sizeof *h);
    if (sqlite3_open_v2(path_join(dir, "events.db"), &h->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, NULL) != SQLITE_OK) {
        sq_fail(h, err, "sqlite3_open_v2");
        sq_close(h);
        return NULL;
    }
    const char *insert = "INSERT INTO events(ts, key, value) VALUES (?, ?, ?)";
    if (exec(h, "PRAGMA journal_mode=WAL", err) ||
        exec(h, full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL", err) ||
        exec(h, "CREATE TABLE IF NOT EXISTS events(id INTEGER PRIMARY KEY, ts INTEGER NOT NULL, key BLOB, value BLOB)",
             err) ||
        (sqlite3_prepare_v2(h->db, insert, -1, &h->insert, NULL) != SQLITE_OK && sq_fail(h, err, insert)) ||
        (sqlite3_prepare_v2(h->db, "SELECT key, value FROM events ORDER BY id", -1, &h->scan, NULL) != SQLITE_OK &&
         sq_fail(h, err, "prepare scan")) ||
        (sqlite3_prepare_v2(h->db, "SELECT key, value FROM events WHERE id = ?", -1, &h->lookup, NULL) != SQLITE_OK &&
         sq_fail(h, err, "prepare lookup"))) {
        sq_close(h);
        return NULL;
    }
    return h;
}

static void *sq_open_normal(const char *dir, int mode, char *err) { return sq_open(dir, mode, 0, err); }
static void *sq_open_full(const char *dir, int mode, char *err) { return sq_open(dir, mode, 1, err); }

static int insert(sq_handle *h, sqlite3_stmt *st, const dataset *d, size_t n, char *err) {
    size_t value_len;
    const void *value = dataset_value(d, n, &value_len);
    sqlite3_bind_int64(st, 1, dataset_timestamp(n));
    sqlite3_bind_blob(st, 2, dataset_key(d, n), (int)d->key_bytes, SQLITE_STATIC);
    sqlite3_bind_blob(st, 3, value, (int)value_len, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) return sq_fail(h, err, "INSERT");
    return 0;
}

static int sq_append_batch(void *p, const dataset *d, size_t n, size_t count, char *err) {
    sq_handle *h = p;
    if (exec(h, "BEGIN", err)) return -1;
    for (size_t i = 0; i < count; i++)
        if (insert(h, h->insert, d, n + i, err)) return -1;
    return exec(h, "COMMIT", err);
}

static int sq_append_one(void *p, const dataset *d, size_t n, char *err) {
    sq_handle *h = p;
    return insert(h, h->insert, d, n, err);
}

static int sq_durable_begin(void *p, int threads, char *err) {
    sq_handle *h = p;
    for (; h->threads < threads; h->threads++)
        if (sqlite3_prepare_v2(h->db, "INSERT INTO events(ts, key, value) VALUES (?, ?, ?)", -1,
                               &h->thread_insert[h->threads], NULL) != SQLITE_OK)
            return sq_fail(h, err, "prepare insert");
    return 0;
}

static int sq_durable_append(void *p, int thread, const dataset *d, size_t n, char *err) {
    sq_handle *h = p;
    return insert(h, h->thread_insert[thread], d, n, err);
}

static int sq_replay(void *p, read_sum *sum, char *err) {
    sq_handle *h = p;
    int rc;
    while ((rc = sqlite3_step(h->scan)) == SQLITE_ROW)
        read_sum_add(sum, sqlite3_column_blob(h->scan, 0), (size_t)sqlite3_column_bytes(h->scan, 0),
                     sqlite3_column_blob(h->scan, 1), (size_t)sqlite3_column_bytes(h->scan, 1));
    sqlite3_reset(h->scan);
    return rc == SQLITE_DONE ? 0 : sq_fail(h, err, "SELECT scan");
}

static int sq_read_at(void *p, uint64_t offset, read_sum *sum, char *err) {
    sq_handle *h = p;
    sqlite3_bind_int64(h->lookup, 1, (sqlite3_int64)offset + 1);
    int rc = sqlite3_step(h->lookup);
    if (rc == SQLITE_ROW)
        read_sum_add(sum, sqlite3_column_blob(h->lookup, 0), (size_t)sqlite3_column_bytes(h->lookup, 0),
                     sqlite3_column_blob(h->lookup, 1), (size_t)sqlite3_column_bytes(h->lookup, 1));
    sqlite3_reset(h->lookup);
    if (rc != SQLITE_ROW) return rc == SQLITE_DONE ? (snprintf(err, ERR_BYTES, "no row %llu", (unsigned long long)offset + 1), -1)
                                                   : sq_fail(h, err, "SELECT lookup");
    return 0;
}

const engine_ops sqlite_normal_engine = {
    .name = "sqlite-normal",
    .description = "SQLite, WAL, synchronous=NORMAL, INTEGER PRIMARY KEY table, batch = one transaction",
    .open = sq_open_normal,
    .append_batch = sq_append_batch,
    .append_one = sq_append_one,
    .replay = sq_replay,
    .read_at = sq_read_at,
    .close = sq_close,
    .version = sqlite3_libversion,
};

const engine_ops sqlite_full_engine = {
    .name = "sqlite-full",
    .description = "SQLite, WAL, synchronous=FULL (every commit durable), same table",
    .open = sq_open_full,
    .append_batch = sq_append_batch,
    .append_one = sq_append_one,
    .durable_begin = sq_durable_begin,
    .durable_append = sq_durable_append,
    .replay = sq_replay,
    .read_at = sq_read_at,
    .close = sq_close,
    .version = sqlite3_libversion,
};
