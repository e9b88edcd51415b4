/* SPDX-License-Identifier: Apache-2.0 */
/* C helpers for what Swift cannot express directly: CRC-32C with the SSE4.2
 * and VPCLMULQDQ instructions, the plain-record loop with BMI2, GNU-only
 * syscalls (fallocate, futex) and atomic access to memory shared between
 * processes through a file mapping. */
#ifndef EVENTLOG_SHIMS_H
#define EVENTLOG_SHIMS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "eventlog_prefetch.h"

/* Internal to libeventlog: hidden so that the shared library exports only the
 * public eventlog_* API of include/eventlog.h. */
#define EVENTLOG_HIDDEN __attribute__((visibility("hidden")))

/* CRC-32C (Castagnoli) of `len` bytes, continuing from `crc` (0 to start).
 * Returns the finalised value, so it can be chained:
 * crc32c(crc32c(0, a, n), b, m) == crc32c(0, a ‖ b, n + m). */
EVENTLOG_HIDDEN uint32_t eventlog_crc32c(uint32_t crc, const void *data, size_t len);

/* CRC-32C by folding with VPCLMULQDQ (crc32c_fold.c): the register after
 * `len` >= 256 bytes from `crc`, without inversion. Only on CPUs with
 * AVX-512F and VPCLMULQDQ, after eventlog_crc32c_fold_init. */
EVENTLOG_HIDDEN void eventlog_crc32c_fold_init(void);
EVENTLOG_HIDDEN uint32_t eventlog_crc32c_fold(uint32_t crc, const unsigned char *data, size_t len);

/* A decoded record as RecordView (EventLogFormat) lays it out; Swift
 * checks the layout before it lets this loop write one. */
typedef struct {
    int64_t offset;
    int64_t timestamp;
    const void *key;
    intptr_t key_length;
    const void *value;
    intptr_t value_length;
    intptr_t header_start;
    intptr_t header_count;
} eventlog_record_view;

/* What a batch's header adds to each record (RecordStamps). */
typedef struct {
    int64_t base_offset;
    int64_t timestamp_base;
    int64_t delta_mask; /* all ones, or 0 for a LogAppendTime batch */
    int32_t last_offset_delta;
} eventlog_record_stamps;

/* Whether eventlog_decode_plain_records runs on this CPU (x86-64 with a
 * fast BMI2); without it, it decodes nothing. */
EVENTLOG_HIDDEN int eventlog_plain_records_fast(void);

/* Decodes plain records (no headers, key and value not null, short
 * varints) from *position on, while they lie whole before `available`, into
 * at most `room` views; returns how many and moves *position past them. It
 * stops at the first record that is not plain or not sound, for the Swift
 * decoder to take. */
EVENTLOG_HIDDEN size_t eventlog_decode_plain_records(const uint8_t *base, size_t *position, size_t available,
                                                     const eventlog_record_stamps *stamps,
                                                     eventlog_record_view *output, size_t room,
                                                     intptr_t header_start);

/* fallocate(2) with mode 0; returns 0 or an errno value. */
EVENTLOG_HIDDEN int eventlog_fallocate(int fd, off_t offset, off_t len);

/* FUTEX_WAIT (shared, not private: waiters live in other processes) on
 * `word` while it equals `expected`, for at most timeout_ns (< 0: forever).
 * Returns 0 when woken, or an errno value (EAGAIN, ETIMEDOUT, EINTR). */
EVENTLOG_HIDDEN int eventlog_futex_wait(uint32_t *word, uint32_t expected, int64_t timeout_ns);

/* FUTEX_WAKE of every waiter on `word`. */
EVENTLOG_HIDDEN void eventlog_futex_wake_all(uint32_t *word);

/* Atomic accessors for words in a shared mapping. Plain loads could be
 * hoisted out of a polling loop by the optimiser; these cannot. */
static inline uint64_t eventlog_load_acquire_u64(const uint64_t *p) {
    return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}
static inline void eventlog_store_release_u64(uint64_t *p, uint64_t v) {
    __atomic_store_n(p, v, __ATOMIC_RELEASE);
}
static inline uint32_t eventlog_load_seqcst_u32(const uint32_t *p) {
    return __atomic_load_n(p, __ATOMIC_SEQ_CST);
}
static inline uint32_t eventlog_fetch_add_seqcst_u32(uint32_t *p, uint32_t v) {
    return __atomic_fetch_add(p, v, __ATOMIC_SEQ_CST);
}
static inline uint64_t eventlog_fetch_add_seqcst_u64(uint64_t *p, uint64_t v) {
    return __atomic_fetch_add(p, v, __ATOMIC_SEQ_CST);
}
static inline uint32_t eventlog_fetch_sub_seqcst_u32(uint32_t *p, uint32_t v) {
    return __atomic_fetch_sub(p, v, __ATOMIC_SEQ_CST);
}
static inline void eventlog_fence_acquire(void) { __atomic_thread_fence(__ATOMIC_ACQUIRE); }
static inline void eventlog_fence_release(void) { __atomic_thread_fence(__ATOMIC_RELEASE); }

#endif
