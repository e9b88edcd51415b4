/* SPDX-License-Identifier: Apache-2.0 */
/*
 * eventlog.h - libeventlog, an embeddable append-only event log.
 *
 * A log is a directory of segment files in Apache Kafka's on-disk format
 * (RecordBatch v2, LZ4 frames as Kafka writes them, CRC-32C, .index and
 * .timeindex files; see Docs/FORMAT.md). Records get consecutive 64-bit
 * offsets starting at 0. Producers append records, which wait in a producer
 * batch until the batch is full, has lingered long enough, or is flushed;
 * only then is the batch written and visible to cursors. Cursors read forward
 * from any offset or time, and can wait for new records.
 *
 * Design and caveats
 *  - One writer per directory, across processes (EVENTLOG_EBUSY otherwise);
 *    any number of read-only handles in any process.
 *  - Batches are written into the active segment with pwrite(2), its index
 *    entries through a shared mapping of the index files; readers map the
 *    segments read-only. A written batch survives a crash of the process; it
 *    survives a power loss only once synced (eventlog_sync or the sync
 *    modes).
 *  - Records returned by a cursor are borrowed: their key, value and header
 *    pointers point into the mapped file or into the cursor's own buffers and
 *    stay valid until the next call on the same cursor, or until it is closed.
 *    Copy what you keep.
 *
 * Security: files inside the log directory
 *  - Whoever can create files in the log directory can damage the log, but
 *    not make libeventlog write, truncate or wait elsewhere: every file of
 *    the log is opened without following symbolic links and must be a
 *    regular file. A link, FIFO, socket, device or directory named like a
 *    segment, index, eventlog.head, eventlog.lock or
 *    eventlog.maintenance.lock makes the call that meets it fail with
 *    EVENTLOG_ECORRUPT, naming the file ("...: not a regular file (a
 *    FIFO)", "...: is a symbolic link; ..."); no open waits on a FIFO. The
 *    path of the directory itself may contain links; a `cursors` folder
 *    that is a link is refused when a named cursor commits.
 *  - The single-writer lock is an flock on the directory itself, not on a
 *    file in it: deleting eventlog.lock (which only names the writer's pid)
 *    does not let a second writer in. The writer opens its files relative
 *    to the directory it locked, so renaming the directory while it runs
 *    does not send its writes to whatever takes the old path.
 *  - Not defended: hard links (a hard link named like a segment is a
 *    regular file, and the writer may write through it; Linux's
 *    fs.protected_hardlinks limits who can create one), and anything done
 *    by a process with the writer's own privileges.
 *
 * Conventions
 *  - Fallible functions return int: EVENTLOG_OK (0), EVENTLOG_END (1, not an
 *    error) or a negative EVENTLOG_E* code. Every failure sets a thread-local
 *    message, read with eventlog_errmsg(), which names the file, offset or
 *    argument concerned. Successful calls leave the message as it was.
 *  - The object acted on comes first, inputs next, outputs last. Output
 *    pointers marked "optional" may be NULL.
 *  - Option structs start with `version`; zero in any other field means the
 *    documented default. Initialise them with their _INIT macro or _init
 *    function. Destructors accept NULL.
 *  - Threading: one eventlog * may be shared by threads for append, flush,
 *    sync, offsets and opening cursors. A cursor belongs to one thread at a
 *    time.
 *
 * The numeric values of all constants are part of the ABI and never change.
 */
#ifndef EVENTLOG_H
#define EVENTLOG_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) || defined(__clang__)
#define EVENTLOG_API __attribute__((visibility("default")))
#else
#define EVENTLOG_API
#endif

#define EVENTLOG_VERSION_MAJOR 0
#define EVENTLOG_VERSION_MINOR 1
#define EVENTLOG_VERSION_PATCH 0

/* ---------------------------------------------------------------- results */

#define EVENTLOG_OK          0   /* success */
#define EVENTLOG_END         1   /* no record available within the timeout; not an error */
#define EVENTLOG_EINVAL    (-1)  /* bad argument */
#define EVENTLOG_EIO       (-2)  /* the operating system reported an I/O error */
#define EVENTLOG_ECORRUPT  (-3)  /* checksum or structure error in a file */
#define EVENTLOG_EBUSY     (-4)  /* another writer holds the directory */
#define EVENTLOG_ERANGE    (-5)  /* offset before the log start */
#define EVENTLOG_ETIMEDOUT (-6)  /* reserved: no call returns it yet (a wait
                                    that times out returns EVENTLOG_OK with
                                    nothing read) */
#define EVENTLOG_EREADONLY (-7)  /* write on a read-only handle */
#define EVENTLOG_ETOOBIG   (-8)  /* record larger than EVENTLOG_MAX_RECORD_BYTES */
#define EVENTLOG_ENOSPC    (-9)  /* no space left on the device or file size limit */
#define EVENTLOG_EVERSION  (-10) /* options struct version unknown to this library */
#define EVENTLOG_ENOMEM    (-11) /* out of memory or address space */
#define EVENTLOG_ECLOSED   (-12) /* the log of this cursor was closed */
#define EVENTLOG_ENOENT    (-13) /* no such log or named cursor */
#define EVENTLOG_EACCES    (-14) /* permission denied by the operating system */

/* --------------------------------------------------------------- offsets */

/* Special offsets for eventlog_cursor_open and eventlog_cursor_seek. Real
 * offsets stay below 2^63, so neither can be a real offset. */
#define EVENTLOG_OLDEST UINT64_C(0xFFFFFFFFFFFFFFFE) /* first offset still in the log */
#define EVENTLOG_LATEST UINT64_C(0xFFFFFFFFFFFFFFFF) /* next offset to be written */

/* ---------------------------------------------------------------- limits */

/* The largest record accepted by append: key + value + header keys and
 * values, in bytes. Larger records are EVENTLOG_ETOOBIG. */
#define EVENTLOG_MAX_RECORD_BYTES (UINT32_C(64) << 20)

/* ----------------------------------------------------------------- types */

#ifndef EVENTLOG_ABI_CHECK
typedef struct eventlog eventlog;               /* an open log directory */
typedef struct eventlog_cursor eventlog_cursor; /* a position that reads forward */
#else
/* Build-time check only (cmake/abicheck.c): Swift prints the handles of its
 * @c functions as void *, so the check compares them as void. */
typedef void eventlog;
typedef void eventlog_cursor;
#endif

/* A record header. key is never NULL (it may be empty; it should be UTF-8,
 * as Kafka clients read header keys as strings). value == NULL is a null
 * header value, distinct from an empty one. */
typedef struct eventlog_header {
    const char *key;
    size_t key_len;
    const void *value;
    size_t value_len;
} eventlog_header;

/* A record. On append, offset is ignored and a timestamp of 0 means "now";
 * key == NULL is a record without key, value == NULL a tombstone. A NULL
 * pointer with a non-zero length is EVENTLOG_EINVAL. Records read back carry
 * exactly what was appended. */
typedef struct eventlog_record {
    uint64_t offset;     /* assigned by the log */
    int64_t timestamp;   /* ms since the Unix epoch */
    const void *key;
    size_t key_len;
    const void *value;
    size_t value_len;
    const eventlog_header *headers;
    size_t header_count;
} eventlog_record;

/* ---------------------------------------------------------------- options */

#define EVENTLOG_OPTIONS_VERSION 1

/* eventlog_options.flags */
#define EVENTLOG_OPEN_READONLY 0x1u /* read only; the directory must exist */

/* eventlog_options.compression */
#define EVENTLOG_COMPRESSION_DEFAULT 0 /* = EVENTLOG_COMPRESSION_LZ4 */
#define EVENTLOG_COMPRESSION_NONE    1
#define EVENTLOG_COMPRESSION_LZ4     2

/* eventlog_options.sync_mode */
#define EVENTLOG_SYNC_DEFAULT  0 /* = EVENTLOG_SYNC_NONE */
#define EVENTLOG_SYNC_NONE     1 /* the OS writes mapped pages back when it likes */
#define EVENTLOG_SYNC_BATCH    2 /* every written batch is synced before the next */
#define EVENTLOG_SYNC_INTERVAL 3 /* synced at least every sync_interval_ms */

/* Defaults, chosen by measurement (Docs/DEFAULTS.md gives the figures). */
#define EVENTLOG_DEFAULT_SEGMENT_BYTES     (UINT64_C(256) << 20) /* 256 MiB */
#define EVENTLOG_MAX_SEGMENT_BYTES         UINT64_C(2147483647)  /* Kafka's limit, 2^31-1 */
#define EVENTLOG_DEFAULT_BATCH_MAX_BYTES   (UINT32_C(256) << 10) /* 256 KiB */
#define EVENTLOG_DEFAULT_LINGER_US         1000u                 /* 1 ms */
#define EVENTLOG_DEFAULT_SYNC_INTERVAL_MS  1000u                 /* 1 s */
#define EVENTLOG_DEFAULT_FILE_MODE         0644u

typedef struct eventlog_options {
    unsigned int version;     /* EVENTLOG_OPTIONS_VERSION */
    uint32_t flags;           /* EVENTLOG_OPEN_* */
    uint64_t segment_bytes;   /* a segment rolls when it would grow past this;
                                 at least 4096, at most EVENTLOG_MAX_SEGMENT_BYTES.
                                 Default EVENTLOG_DEFAULT_SEGMENT_BYTES. */
    uint32_t batch_max_bytes; /* a producer batch is written when its encoded
                                 records reach this size ... (default
                                 EVENTLOG_DEFAULT_BATCH_MAX_BYTES) */
    uint32_t linger_us;       /* ... or when its oldest record has waited this
                                 long, in microseconds (default
                                 EVENTLOG_DEFAULT_LINGER_US); eventlog_flush
                                 writes at once */
    int compression;          /* EVENTLOG_COMPRESSION_* */
    int sync_mode;            /* EVENTLOG_SYNC_* */
    uint32_t sync_interval_ms;/* for EVENTLOG_SYNC_INTERVAL (default 1000) */
    uint64_t retention_bytes; /* delete oldest segments beyond this total; 0 = keep all */
    int64_t retention_ms;     /* delete segments whose records are all older; 0 = keep all */
    uint32_t file_mode;       /* permission bits of created files, further narrowed
                                 by the umask; default 0644 */
    uint32_t retention_flags; /* EVENTLOG_RETAIN_*; 0 = retention deletes by size
                                 and age alone */
} eventlog_options;

/* eventlog_options.retention_flags */
#define EVENTLOG_RETAIN_UNCOMMITTED 0x1u /* retention never deletes a segment
                                            holding offsets that a named cursor
                                            has not committed past */

#define EVENTLOG_OPTIONS_INIT { EVENTLOG_OPTIONS_VERSION, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }

/* Version 2 added max_segment_bytes, memory_budget, flags and threads; a caller
 * compiled with version 1 still works (its struct ends at
 * delete_retention_ms, and the library reads no further). */
#define EVENTLOG_COMPACT_OPTIONS_VERSION 2

/* eventlog_compact_options.flags */
#define EVENTLOG_COMPACT_DRY_RUN 0x1u /* report what would be removed; change nothing */
#define EVENTLOG_COMPACT_WAIT    0x2u /* wait for other maintenance instead of EVENTLOG_EBUSY */

/* The smallest memory_budget: less would compact a few thousand keys a pass. */
#define EVENTLOG_COMPACT_MIN_MEMORY_BUDGET 1048576

typedef struct eventlog_compact_options {
    unsigned int version;        /* EVENTLOG_COMPACT_OPTIONS_VERSION */
    int64_t delete_retention_ms; /* how long tombstones survive once cleaned; 0 = 24 h */
    /* version 2 */
    uint64_t max_segment_bytes;  /* merged segments stay at or below this; 0 = the size of
                                    the largest segment file, the log's own segment size */
    uint64_t memory_budget;      /* bytes the set of keys met so far may use; 0 = what
                                    the keys need (each its bytes plus 64 to
                                    128). When they do not fit, compaction runs in passes
                                    over shares of the keys by hash, with the same result,
                                    reading and rewriting the closed segments once per pass
                                    (stats_out->passes). Else at least
                                    EVENTLOG_COMPACT_MIN_MEMORY_BUDGET. */
    uint32_t flags;              /* EVENTLOG_COMPACT_* */
    uint32_t threads;            /* threads that decode and rewrite the segments, at
                                    most 256; 0 = one per core */
} eventlog_compact_options;

#define EVENTLOG_COMPACT_OPTIONS_INIT { EVENTLOG_COMPACT_OPTIONS_VERSION, 0, 0, 0, 0, 0 }

/* Output structs start with `version` too, set by the caller (the _INIT
 * macro), so that later versions can add fields at the end: the library
 * fills only the fields of the version the caller was compiled with, and
 * refuses a version it does not know (EVENTLOG_EVERSION, nothing written). */
#define EVENTLOG_COMPACT_STATS_VERSION 2

typedef struct eventlog_compact_stats {
    unsigned int version;     /* EVENTLOG_COMPACT_STATS_VERSION */
    uint64_t records_before, records_after, bytes_before, bytes_after;
    /* version 2 */
    uint64_t segments_before;    /* closed segments examined */
    uint64_t segments_after;     /* the segments they became */
    uint64_t segments_rewritten; /* written anew; the others were left untouched */
    uint64_t tombstones_removed; /* dropped because their delete horizon had passed */
    uint64_t keys;               /* distinct keys in the log */
    uint64_t passes;             /* passes over the closed segments: 1 unless the
                                    keys did not fit opts->memory_budget */
} eventlog_compact_stats;

#define EVENTLOG_COMPACT_STATS_INIT { EVENTLOG_COMPACT_STATS_VERSION, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }

#define EVENTLOG_VERIFY_REPORT_VERSION 1

typedef struct eventlog_verify_report {
    unsigned int version;     /* EVENTLOG_VERIFY_REPORT_VERSION */
    uint64_t segments, batches, records, corrupt_batches, truncated_bytes;
} eventlog_verify_report;

#define EVENTLOG_VERIFY_REPORT_INIT { EVENTLOG_VERIFY_REPORT_VERSION, 0, 0, 0, 0, 0 }

#define EVENTLOG_RETENTION_OPTIONS_VERSION 1

/* eventlog_retention_options.flags, beside EVENTLOG_RETAIN_UNCOMMITTED (0x1) */
#define EVENTLOG_RETENTION_DRY_RUN 0x2u /* report what would be deleted; change nothing */
#define EVENTLOG_RETENTION_WAIT    0x4u /* wait for other maintenance instead of EVENTLOG_EBUSY */

typedef struct eventlog_retention_options {
    unsigned int version;     /* EVENTLOG_RETENTION_OPTIONS_VERSION */
    uint32_t flags;           /* EVENTLOG_RETAIN_UNCOMMITTED, EVENTLOG_RETENTION_* */
    uint64_t retention_bytes; /* delete oldest segments beyond this total; 0 = no size limit */
    int64_t retention_ms;     /* delete segments whose records are all older; 0 = no age limit */
} eventlog_retention_options;

#define EVENTLOG_RETENTION_OPTIONS_INIT { EVENTLOG_RETENTION_OPTIONS_VERSION, 0, 0, 0 }

#define EVENTLOG_RETENTION_STATS_VERSION 1

typedef struct eventlog_retention_stats {
    unsigned int version;      /* EVENTLOG_RETENTION_STATS_VERSION */
    uint32_t held_by_cursor;   /* 1 if a named cursor's uncommitted offsets stopped
                                  the deletion (EVENTLOG_RETAIN_UNCOMMITTED) */
    uint64_t segments_deleted;
    uint64_t bytes_freed;      /* sizes of the deleted .log files */
    uint64_t offsets_removed;  /* how far the start offset moved: the records
                                  removed, less any compaction had already
                                  dropped from those segments */
    uint64_t start_offset;     /* the first offset of the log afterwards */
} eventlog_retention_stats;

#define EVENTLOG_RETENTION_STATS_INIT { EVENTLOG_RETENTION_STATS_VERSION, 0, 0, 0, 0, 0 }

#define EVENTLOG_RECOVER_OPTIONS_VERSION 1

/* eventlog_recover_options.flags */
#define EVENTLOG_RECOVER_DRY_RUN               0x1u /* report the plan; change nothing */
#define EVENTLOG_RECOVER_TRUNCATE_AFTER_DAMAGE 0x2u /* Kafka's recovery: cut at the first
                                                      damage, delete every later segment */

typedef struct eventlog_recover_options {
    unsigned int version;     /* EVENTLOG_RECOVER_OPTIONS_VERSION */
    uint32_t flags;           /* EVENTLOG_RECOVER_* */
} eventlog_recover_options;

#define EVENTLOG_RECOVER_OPTIONS_INIT { EVENTLOG_RECOVER_OPTIONS_VERSION, 0 }

#define EVENTLOG_RECOVER_REPORT_VERSION 1

typedef struct eventlog_recover_report {
    unsigned int version;       /* EVENTLOG_RECOVER_REPORT_VERSION */
    uint32_t dry_run;           /* 1 if nothing was changed (EVENTLOG_RECOVER_DRY_RUN) */
    uint64_t records_kept;      /* records in the valid batches that stay */
    uint64_t records_dropped;   /* records in the batches removed, as far as
                                   their headers tell */
    uint64_t bytes_removed;     /* all bytes taken out of segments ... */
    uint64_t bytes_quarantined; /* ... of which copied to DIR/quarantine first */
    uint64_t strangers_moved;   /* files named like segments, not of this log,
                                   moved to DIR/quarantine */
    uint64_t segments_deleted;  /* only with EVENTLOG_RECOVER_TRUNCATE_AFTER_DAMAGE */
    uint64_t indexes_rebuilt;   /* segments whose .index and .timeindex were rebuilt */
    uint64_t next_offset;       /* the offset the next record appended gets */
    uint64_t problems;          /* problems eventlog_verify would have reported before */
} eventlog_recover_report;

#define EVENTLOG_RECOVER_REPORT_INIT { EVENTLOG_RECOVER_REPORT_VERSION, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }

#define EVENTLOG_LOG_INFO_VERSION 1

/* What eventlog_info finds in a log. Timestamps are ms since the epoch;
 * min_timestamp and max_timestamp are 0 when record_count is 0. */
typedef struct eventlog_log_info {
    unsigned int version;        /* EVENTLOG_LOG_INFO_VERSION */
    uint64_t start_offset;       /* the first offset present */
    uint64_t end_offset;         /* the next offset to be written */
    uint64_t record_count;
    uint64_t batch_count;
    uint64_t segment_count;
    uint64_t bytes_on_disk;      /* .log, .index and .timeindex files */
    uint64_t stored_bytes;       /* batches as stored (compressed) */
    uint64_t uncompressed_bytes; /* the same batches uncompressed */
    int64_t min_timestamp;
    int64_t max_timestamp;
} eventlog_log_info;

#define EVENTLOG_LOG_INFO_INIT { EVENTLOG_LOG_INFO_VERSION, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }

#define EVENTLOG_SEGMENT_INFO_VERSION 1

/* One segment, lent to an eventlog_segment_visit callback: the library fills
 * it and sets version to the version it filled, so a caller compiled against
 * an older header reads the fields it knows. first_offset, last_offset,
 * min_timestamp and max_timestamp are 0 when record_count is 0. */
typedef struct eventlog_segment_info {
    unsigned int version;        /* EVENTLOG_SEGMENT_INFO_VERSION or later */
    uint32_t active;             /* 1 for the segment being written */
    const char *file_name;       /* e.g. "00000000000000000000.log"; borrowed
                                    for the duration of the callback */
    uint64_t base_offset;        /* names the segment's files */
    uint64_t file_bytes;         /* the .log file */
    uint64_t index_bytes;        /* the .index and .timeindex files */
    uint64_t first_offset;
    uint64_t last_offset;
    uint64_t record_count;
    uint64_t batch_count;
    uint64_t stored_bytes;
    uint64_t uncompressed_bytes;
    int64_t min_timestamp;
    int64_t max_timestamp;
} eventlog_segment_info;

/* Called once per segment, oldest first. Return 0 to go on; any other value
 * stops the walk and is what eventlog_segments returns. */
typedef int (*eventlog_segment_visit)(const eventlog_segment_info *segment, void *ctx);

#define EVENTLOG_CURSOR_INFO_VERSION 1

/* A named cursor's stored position, lent to an eventlog_cursor_visit
 * callback; the library sets version, as for eventlog_segment_info. */
typedef struct eventlog_cursor_info {
    unsigned int version;        /* EVENTLOG_CURSOR_INFO_VERSION or later */
    const char *name;            /* NUL-terminated; borrowed for the duration
                                    of the callback */
    uint64_t next_offset;        /* the offset it reads next when opened */
    int64_t committed_at;        /* ms since the epoch of its last commit */
} eventlog_cursor_info;

/* Called once per named cursor, in byte order of the names. Return 0 to go
 * on; any other value stops the walk and is what eventlog_cursor_list
 * returns. */
typedef int (*eventlog_cursor_visit)(const eventlog_cursor_info *cursor, void *ctx);

/* ---------------------------------------------------------------- library */

/* "MAJOR.MINOR.PATCH" of the library actually linked. Static string. */
EVENTLOG_API const char *eventlog_version(void);

/* Static English text for any result code; unknown codes give a generic text.
 * Never NULL. */
EVENTLOG_API const char *eventlog_strerror(int code);

/* The message of the most recent failure on the calling thread, naming the
 * file, offset or argument concerned; "" if none. Never NULL. Valid until the
 * next failing call on this thread. */
EVENTLOG_API const char *eventlog_errmsg(void);

/* Fills *opts with the defaults (version set, everything else zero). */
EVENTLOG_API void eventlog_options_init(eventlog_options *opts);

/* ------------------------------------------------------------ open/close */

/* Opens the log in directory `dir`, creating it (and a new, empty log at
 * offset 0) unless EVENTLOG_OPEN_READONLY is set. opts may be NULL for the
 * defaults. On success *out holds the handle; on failure *out is NULL.
 *
 * A writable open takes the directory's writer lock: a second writable open,
 * in this process or another, fails with EVENTLOG_EBUSY and a message naming
 * the holder's pid. The lock dies with its process. A read-only open works on
 * any directory of Kafka segment files, also one libeventlog never wrote; a
 * missing directory is EVENTLOG_ENOENT.
 *
 * Errors: EVENTLOG_EINVAL, EVENTLOG_EVERSION, EVENTLOG_ENOENT, EVENTLOG_EBUSY,
 * EVENTLOG_EACCES, EVENTLOG_EIO, EVENTLOG_ECORRUPT, EVENTLOG_ENOSPC,
 * EVENTLOG_ENOMEM. */
EVENTLOG_API int eventlog_open(const char *dir, const eventlog_options *opts,
                               eventlog **out);

/* Writes any waiting records, syncs unless the sync mode is
 * EVENTLOG_SYNC_NONE, trims the active segment's preallocated space, releases
 * the lock and frees the handle. NULL is a no-op returning EVENTLOG_OK. The
 * handle is freed even when an error is returned. Cursors still open answer
 * EVENTLOG_ECLOSED from then on and must still be closed.
 *
 * Racing with close: eventlog_append, eventlog_append_batch, eventlog_flush,
 * eventlog_sync, eventlog_start_offset, eventlog_end_offset and
 * eventlog_cursor_open may be running in other threads when eventlog_close
 * is called. Each of them either completes before close writes the last
 * batch (an append that returned EVENTLOG_OK has its records written by this
 * close, and synced unless the sync mode is EVENTLOG_SYNC_NONE, so they are
 * there at the next open with the offsets it reported) or returns
 * EVENTLOG_ECLOSED having appended nothing. A call that *starts* after
 * eventlog_close has returned uses freed memory, as after free(3). */
EVENTLOG_API int eventlog_close(eventlog *log);

/* ------------------------------------------------------------- appending */

/* Appends one record; its bytes are copied before the call returns. The
 * record waits in the producer batch (see eventlog_options) and becomes
 * visible to cursors once its batch is written. *offset_out (optional)
 * receives its offset. Thread-safe.
 * Errors: EVENTLOG_EINVAL (NULL pointer with non-zero length, negative
 * timestamp), EVENTLOG_ETOOBIG, EVENTLOG_EREADONLY, EVENTLOG_ECLOSED,
 * EVENTLOG_ENOSPC, EVENTLOG_EIO. */
EVENTLOG_API int eventlog_append(eventlog *log, const eventlog_record *rec,
                                 uint64_t *offset_out);

/* Appends `count` records with consecutive offsets, even while other threads
 * append; *first_offset_out (optional) receives the first. Either all
 * records are accepted or none (arguments are checked first). count 0 is
 * EVENTLOG_OK and appends nothing. */
EVENTLOG_API int eventlog_append_batch(eventlog *log, const eventlog_record *recs,
                                       size_t count, uint64_t *first_offset_out);

/* Writes the producer batch now: every record appended before the call is
 * visible to cursors, in this process and others, when it returns. */
EVENTLOG_API int eventlog_flush(eventlog *log);

/* Flushes, then makes everything appended before the call durable on disk.
 * Concurrent callers share one disk flush (group commit). */
EVENTLOG_API int eventlog_sync(eventlog *log);

/* The first offset present in the log (the next offset when it is empty). */
EVENTLOG_API uint64_t eventlog_start_offset(eventlog *log);

/* The next offset to be assigned; counts records appended but not yet
 * written. For a read-only handle, the next offset after the last record
 * written by the writer. 0 for NULL. */
EVENTLOG_API uint64_t eventlog_end_offset(eventlog *log);

/* ---------------------------------------------------------------- cursors */

/* Opens a cursor positioned as eventlog_cursor_seek(cur, offset) would.
 * Close it with eventlog_cursor_close before closing the log. */
EVENTLOG_API int eventlog_cursor_open(eventlog *log, uint64_t offset,
                                      eventlog_cursor **out);

/* Opens the named cursor `name`, which must match
 * [A-Za-z0-9][A-Za-z0-9._-]{0,63}. It resumes after the position stored by
 * its last eventlog_cursor_commit, or at offset_if_new if it was never
 * committed. A stored position that retention removed resumes at the oldest
 * offset still present. Read-only handles may use named cursors. */
EVENTLOG_API int eventlog_cursor_open_named(eventlog *log, const char *name,
                                            uint64_t offset_if_new,
                                            eventlog_cursor **out);

/* Positions the cursor so that the next record returned is the first with
 * an offset >= `offset`. Accepts EVENTLOG_OLDEST and EVENTLOG_LATEST. An
 * offset before the log start is EVENTLOG_ERANGE; at or past the end
 * positions at the end (EVENTLOG_OK). Costs O(log n) plus one batch header
 * walk; it never scans the log. */
EVENTLOG_API int eventlog_cursor_seek(eventlog_cursor *cur, uint64_t offset);

/* Positions the cursor at the first record, in offset order, whose timestamp
 * is >= `timestamp` (ms since the epoch), or at the end if there is none. */
EVENTLOG_API int eventlog_cursor_seek_time(eventlog_cursor *cur, int64_t timestamp);

/* Reads the next record into *out. timeout_ms: 0 = do not wait, -1 = wait
 * forever, > 0 = wait up to that long for a record to be written. Returns
 * EVENTLOG_OK, EVENTLOG_END when none arrived in time, or an error; a damaged
 * batch is EVENTLOG_ECORRUPT with the segment file and byte position, and
 * the cursor can seek past it. A cursor that fell behind retention gets
 * EVENTLOG_ERANGE once the records it was to read next are deleted (the
 * message names the offsets lost and the log's new start); it stays where
 * it is, and eventlog_cursor_seek(cur, EVENTLOG_OLDEST) goes on. The
 * pointers in *out are borrowed: valid until the next call on this cursor
 * or its close. */
EVENTLOG_API int eventlog_cursor_next(eventlog_cursor *cur, int timeout_ms,
                                      eventlog_record *out);

/* Like eventlog_cursor_next, but fills up to `capacity` records into out[]
 * and sets *count_out. Returns as soon as at least one record is available
 * and does not wait for more. capacity 0 is EVENTLOG_EINVAL. *count_out is 0
 * on EVENTLOG_END and on errors. All returned pointers stay valid until the
 * next call on this cursor or its close. */
EVENTLOG_API int eventlog_cursor_next_batch(eventlog_cursor *cur, int timeout_ms,
                                            eventlog_record *out, size_t capacity,
                                            size_t *count_out);

/* The offset the cursor reads next: the offset sought, or one past the last
 * record returned. 0 for NULL. */
EVENTLOG_API uint64_t eventlog_cursor_offset(const eventlog_cursor *cur);

/* Named cursors: stores the cursor's position crash-safely (atomic replace),
 * so a reopened cursor resumes after the last record returned before the
 * commit. EVENTLOG_EINVAL for an unnamed cursor. */
EVENTLOG_API int eventlog_cursor_commit(eventlog_cursor *cur);

/* Frees the cursor. NULL is a no-op. */
EVENTLOG_API void eventlog_cursor_close(eventlog_cursor *cur);

/* ------------------------------------------------------------ maintenance */

/* Compacts the closed segments of the log in `dir` with Kafka's semantics:
 * keeps the latest record per key, keeps records without a key (Kafka would
 * drop them), keeps tombstones for delete_retention_ms after the pass that
 * first cleaned them. Offsets never change: cursors see gaps, and a seek to
 * a removed offset lands on the next record present. Runs of small segments
 * are merged, named after their first base. The active segment is never
 * touched, so it may run while a writer appends and readers follow, in any
 * process. Killed at any point, it leaves a log holding every record; the
 * next writable open or compaction completes or undoes the interrupted swap
 * (Docs/FORMAT.md section 12). opts may be NULL; stats_out is optional
 * (initialise it with EVENTLOG_COMPACT_STATS_INIT) and counts the closed
 * segments examined (its counts are zeroed on failure).
 * With EVENTLOG_COMPACT_DRY_RUN, stats_out says what a compaction would do
 * and nothing is written (not even the lock file). Peak memory is the key
 * map (see memory_budget) plus a worker's buffers per core (Docs/DEFAULTS.md).
 * Errors: EVENTLOG_EINVAL (a negative delete_retention_ms, max_segment_bytes
 * above 2^31-1, a memory_budget below the minimum or too
 * small for 1/4096 of the keys, unknown flags, threads above 256), EVENTLOG_EVERSION (opts or
 * stats_out),
 * EVENTLOG_ENOENT (no such directory, or one that holds no log: no segment
 * file and no eventlog.head; nothing is created in it), EVENTLOG_EBUSY
 * (another compaction or retention runs, unless EVENTLOG_COMPACT_WAIT),
 * EVENTLOG_ECORRUPT (a damaged batch
 * in a closed segment; nothing is changed), EVENTLOG_EIO, EVENTLOG_ENOSPC,
 * EVENTLOG_EACCES, EVENTLOG_ENOMEM. */
EVENTLOG_API int eventlog_compact(const char *dir, const eventlog_compact_options *opts,
                                  eventlog_compact_stats *stats_out);

/* Checks every batch of every segment (CRC, structure, offsets, indexes)
 * without modifying anything. Returns EVENTLOG_OK if the log is sound,
 * EVENTLOG_ECORRUPT if problems were found (the message names the first);
 * report_out (optional; initialise it with EVENTLOG_VERIFY_REPORT_INIT) is
 * filled in both cases, and its counts are zeroed on any other error.
 * EVENTLOG_EVERSION: report_out->version is not one this library knows. */
EVENTLOG_API int eventlog_verify(const char *dir, eventlog_verify_report *report_out);

/* Deletes whole segments from the old end of the log in `dir`, never the
 * active one: the oldest while the newer segments hold at least
 * retention_bytes, and those whose records are all older than retention_ms
 * (by their largest timestamp). With EVENTLOG_RETAIN_UNCOMMITTED it stops
 * at the first segment holding offsets that a named cursor has not
 * committed past. This is what a writer with retention limits in its
 * eventlog_options does after each roll; it may run while a writer appends
 * and readers follow, in any process. opts is required (it holds
 * the limits; both 0 deletes nothing). stats_out is optional (initialise it
 * with EVENTLOG_RETENTION_STATS_INIT); its counts are zeroed on failure.
 * Errors: EVENTLOG_EINVAL (NULL or empty dir, NULL opts, negative
 * retention_ms, unknown flags, a path that is not a directory),
 * EVENTLOG_EVERSION (opts or stats_out), EVENTLOG_ENOENT (no such directory,
 * or one that holds no log; nothing is created in it), EVENTLOG_EBUSY
 * (another compaction or retention runs, unless EVENTLOG_RETENTION_WAIT),
 * EVENTLOG_EIO, EVENTLOG_EACCES. */
EVENTLOG_API int eventlog_retention(const char *dir, const eventlog_retention_options *opts,
                                    eventlog_retention_stats *stats_out);

/* Repairs the log in `dir`. Every batch whose CRC and offsets are sound stays
 * readable at its offset; damaged byte ranges are copied to
 * DIR/quarantine/<segment>.<position>.bin and removed (a gap in the offsets,
 * as compaction leaves); files named like segments that are not segments of
 * this log are moved to DIR/quarantine/; only the torn tail of the last
 * segment is cut; indexes are rebuilt where needed. With
 * EVENTLOG_RECOVER_TRUNCATE_AFTER_DAMAGE it does Kafka's recovery instead:
 * the first damaged segment is cut at its first damage and every later
 * segment deleted. With EVENTLOG_RECOVER_DRY_RUN it changes nothing and
 * reports what it would do. A sound log is left as it is (EVENTLOG_OK, the
 * report counting what it holds). Takes the writer lock, so it fails with
 * EVENTLOG_EBUSY while a writer has the log open (a dry run too). opts may
 * be NULL (keep intact batches, not a dry run); report_out is optional
 * (initialise it with EVENTLOG_RECOVER_REPORT_INIT); its counts are zeroed
 * on failure.
 * Errors: EVENTLOG_EINVAL (NULL or empty dir, unknown flags, a path that is
 * not a directory), EVENTLOG_EVERSION (opts or report_out), EVENTLOG_ENOENT
 * (no such directory, or one that holds no log), EVENTLOG_EBUSY,
 * EVENTLOG_EIO, EVENTLOG_ENOSPC, EVENTLOG_EACCES. */
EVENTLOG_API int eventlog_recover(const char *dir, const eventlog_recover_options *opts,
                                  eventlog_recover_report *report_out);

/* ------------------------------------------------------------- inspection */

/* Fills *info_out (required; initialise it with EVENTLOG_LOG_INFO_INIT) with
 * the offsets, counts, sizes and time range of the log in `dir`, as written
 * (flushed) when the call starts. It reads every batch, checking its CRC and
 * decompressing it, so it costs time in proportion to the log's size; it
 * changes nothing and may run beside a writer in any process. The counts are
 * zeroed on failure.
 * Errors: EVENTLOG_EINVAL (NULL or empty dir, NULL info_out, a path that is
 * not a directory), EVENTLOG_EVERSION (info_out->version), EVENTLOG_ENOENT
 * (no such directory, or one that holds no log), EVENTLOG_ECORRUPT (a
 * damaged batch, named with its file and byte), EVENTLOG_EIO,
 * EVENTLOG_EACCES. */
EVENTLOG_API int eventlog_info(const char *dir, eventlog_log_info *info_out);

/* Calls visit(segment, ctx) for each segment of the log in `dir`, oldest
 * first, with the same figures per segment that eventlog_info sums (and at
 * the same cost: the whole log is read before the first call, so a damaged
 * batch fails the call before any visit). The struct and its file_name are
 * borrowed for the duration of the callback. Returns EVENTLOG_OK once every
 * segment was visited, the callback's non-zero return value if it stopped
 * the walk (the message is left as it was), or an error as eventlog_info
 * (EVENTLOG_EINVAL also for a NULL visit). */
EVENTLOG_API int eventlog_segments(const char *dir, eventlog_segment_visit visit, void *ctx);

/* ---------------------------------------------------------- named cursors */

/* Calls visit(cursor, ctx) for each named cursor stored in the log in `dir`
 * (one that was committed at least once), in byte order of the names. The
 * struct and its name are borrowed for the duration of the callback. The
 * positions are read before the first call; deleting cursors from the
 * callback is allowed. Returns EVENTLOG_OK once every cursor was visited
 * (also when there is none), the callback's non-zero return value if it
 * stopped the walk (the message is left as it was), or an error:
 * EVENTLOG_EINVAL (NULL or empty dir, NULL visit, a path that is not a
 * directory), EVENTLOG_ENOENT (no such directory, or one that holds no log),
 * EVENTLOG_ECORRUPT (a damaged cursor file, named), EVENTLOG_EIO,
 * EVENTLOG_EACCES. */
EVENTLOG_API int eventlog_cursor_list(const char *dir, eventlog_cursor_visit visit, void *ctx);

/* Deletes the stored position of the named cursor `name` in the log in
 * `dir`: its next eventlog_cursor_open_named starts at offset_if_new. A
 * cursor open at the time keeps its position and stores it again at its
 * next commit.
 * Errors: EVENTLOG_EINVAL (NULL or empty dir, NULL name or one that does not
 * match [A-Za-z0-9][A-Za-z0-9._-]{0,63}), EVENTLOG_ENOENT (no such log, or
 * no stored cursor of that name), EVENTLOG_EIO, EVENTLOG_EACCES. */
EVENTLOG_API int eventlog_cursor_delete(const char *dir, const char *name);

/* ------------------------------------------------------------ batch scans */

#define EVENTLOG_SCAN_OPTIONS_VERSION 1

/* The most worker threads one eventlog_scan runs. */
#define EVENTLOG_MAX_SCAN_THREADS 256u

typedef struct eventlog_scan_options {
    unsigned int version;     /* EVENTLOG_SCAN_OPTIONS_VERSION */
    unsigned int threads;     /* worker threads, the calling thread included;
                                 0 = one per core online; at most
                                 EVENTLOG_MAX_SCAN_THREADS */
    uint64_t piece_bytes;     /* about how many bytes of segment a worker
                                 takes at a time (pieces are cut at indexed
                                 batch starts, so they can be larger); 0 =
                                 the log's size / (32 x threads), at least
                                 1 MiB */
} eventlog_scan_options;

#define EVENTLOG_SCAN_OPTIONS_INIT { EVENTLOG_SCAN_OPTIONS_VERSION, 0, 0 }

#define EVENTLOG_SCAN_STATS_VERSION 1

typedef struct eventlog_scan_stats {
    unsigned int version;        /* EVENTLOG_SCAN_STATS_VERSION */
    uint64_t records;            /* records handed to the callback */
    uint64_t batches;            /* batches decoded */
    uint64_t stored_bytes;       /* those batches as stored (compressed) */
    uint64_t uncompressed_bytes; /* their records sections decompressed */
    uint64_t pieces;             /* pieces the range was cut into */
    uint64_t threads;            /* worker threads that ran */
    uint64_t end_offset;         /* the scan covered offsets below this one */
} eventlog_scan_stats;

#define EVENTLOG_SCAN_STATS_INIT { EVENTLOG_SCAN_STATS_VERSION, 0, 0, 0, 0, 0, 0, 0 }

/* Called by eventlog_scan with the records of one batch (count >= 1),
 * from worker thread `worker` (0 <= worker < the threads asked for; worker
 * 0 is the thread that called eventlog_scan). Calls with the same worker
 * index never overlap, so per-worker state needs no lock; calls with
 * different indexes run at the same time. records, and every pointer in
 * them, are borrowed for the duration of the call. Return 0 to go on; any
 * other value stops the scan and is what eventlog_scan returns. */
typedef int (*eventlog_scan_visit)(const eventlog_record *records, size_t count,
                                   unsigned int worker, void *ctx);

/* Reads the records with offsets in [from, to) on several threads, for
 * batch jobs (counting, indexing, exporting) that do not need one order
 * across the whole range. The range is cut into pieces at batch starts
 * found in the offset index (planning never scans the log); each worker
 * decodes whole pieces with its own decompression state and hands their
 * batches to visit, in offset order within a piece; pieces are taken
 * oldest first, but run side by side, so calls for later offsets may come
 * before calls for earlier ones. Every batch's CRC is checked, as a cursor
 * does.
 *
 * from accepts EVENTLOG_OLDEST, and an offset before the log start starts
 * at the log start (records retention removed are not an error here); to
 * accepts EVENTLOG_LATEST. The range ends at the end the log had published
 * when the call started: records appended meanwhile are not visited, and
 * to past that end is not an error. Gaps that compaction left are skipped.
 * Compaction and retention may run meanwhile: the segments are read as
 * they were when the scan started. The log must stay open until the call
 * returns (closing it stops the scan with EVENTLOG_ECLOSED). opts may be
 * NULL (the defaults); stats_out is optional (initialise it with
 * EVENTLOG_SCAN_STATS_INIT) and is filled on success and when visit
 * stopped the scan.
 *
 * Returns EVENTLOG_OK once every record was visited (also when there was
 * none), the callback's non-zero value if it stopped the scan (the message
 * is left as it was), or an error: the first error stops every worker
 * before its next batch. EVENTLOG_EINVAL (NULL log or visit, from > to,
 * threads above EVENTLOG_MAX_SCAN_THREADS), EVENTLOG_EVERSION (opts or
 * stats_out), EVENTLOG_ECORRUPT (a damaged batch, named with its file and
 * byte; records of other pieces may have been visited), EVENTLOG_ECLOSED,
 * EVENTLOG_ENOMEM (a thread could not start), EVENTLOG_EIO. */
EVENTLOG_API int eventlog_scan(eventlog *log, uint64_t from, uint64_t to,
                               const eventlog_scan_options *opts,
                               eventlog_scan_visit visit, void *ctx,
                               eventlog_scan_stats *stats_out);

#ifdef __cplusplus
}
#endif

#endif /* EVENTLOG_H */
