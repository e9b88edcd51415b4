/* SPDX-License-Identifier: Apache-2.0 */
/* The records of the crash tests: every byte of the record at an offset
 * follows from the offset alone, so a checker can tell a record that is
 * exactly what was appended from one that is damaged or misplaced, without
 * being told what the writer wrote. Sizes, null keys, tombstones, headers
 * and null header values vary with the offset; every 61st record is a few
 * KiB and every 997th about 300 KiB (larger than a producer batch). */
#ifndef CRASH_RECORDS_H
#define CRASH_RECORDS_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "eventlog.h"

#define CRASH_BASE_TIMESTAMP INT64_C(1700000000000)
#define CRASH_MAX_VALUE (320u << 10)

static inline uint64_t crash_mix(uint64_t *state) {
    uint64_t z = (*state += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

/* Storage for one record's bytes; crash_record fills it and points rec
 * into it. */
struct crash_storage {
    char key[32];
    char header_value[32];
    eventlog_header header;
    unsigned char value[CRASH_MAX_VALUE];
};

static inline void crash_record(uint64_t offset, struct crash_storage *s, eventlog_record *rec) {
    uint64_t state = offset * UINT64_C(0x2545F4914F6CDD1D) + 11;
    size_t size = (size_t)(crash_mix(&state) % 200);
    if (offset % 61 == 0) size = 1000 + (size_t)(crash_mix(&state) % 8000);
    if (offset % 997 == 0) size = (300u << 10) + (size_t)(crash_mix(&state) % 4096);
    for (size_t i = 0; i < size; i += 8) {
        uint64_t word = crash_mix(&state);
        /* Half the records compress well, half not at all. */
        if (offset & 1) word &= UINT64_C(0x0F0F0F0F0F0F0F0F);
        memcpy(s->value + i, &word, size - i < 8 ? size - i : 8);
    }
    memset(rec, 0, sizeof *rec);
    rec->timestamp = CRASH_BASE_TIMESTAMP + (int64_t)offset;
    if (offset % 11 != 0) {
        rec->key_len = (size_t)snprintf(s->key, sizeof s->key, "key-%llu", (unsigned long long)(offset % 101));
        rec->key = s->key;
    }
    if (offset % 13 != 5) { /* every 13th record is a tombstone */
        rec->value = s->value;
        rec->value_len = size;
    }
    if (offset % 5 == 0) {
        s->header.key = "h";
        s->header.key_len = 1;
        if (offset % 10 == 0) {
            s->header.value = NULL;
            s->header.value_len = 0;
        } else {
            s->header.value_len = (size_t)snprintf(s->header_value, sizeof s->header_value, "%llu", (unsigned long long)offset);
            s->header.value = s->header_value;
        }
        rec->headers = &s->header;
        rec->header_count = 1;
    }
}

static inline int crash_bytes_equal(const void *a, size_t a_len, const void *b, size_t b_len) {
    if ((a == NULL) != (b == NULL) || a_len != b_len) return 0;
    return a_len == 0 || memcmp(a, b, a_len) == 0;
}

/* Whether `got` (read back) is exactly the record appended at its offset. */
static inline int crash_record_matches(const eventlog_record *got, struct crash_storage *s) {
    eventlog_record want;
    crash_record(got->offset, s, &want);
    if (got->timestamp != want.timestamp) return 0;
    if (!crash_bytes_equal(got->key, got->key_len, want.key, want.key_len)) return 0;
    if (!crash_bytes_equal(got->value, got->value_len, want.value, want.value_len)) return 0;
    if (got->header_count != want.header_count) return 0;
    for (size_t i = 0; i < got->header_count; i++) {
        const eventlog_header *g = &got->headers[i], *w = &want.headers[i];
        if (!crash_bytes_equal(g->key, g->key_len, w->key, w->key_len)) return 0;
        if (!crash_bytes_equal(g->value, g->value_len, w->value, w->value_len)) return 0;
    }
    return 1;
}

#endif
