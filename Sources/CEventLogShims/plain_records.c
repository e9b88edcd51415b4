/* SPDX-License-Identifier: Apache-2.0 */
/* The fast loop over plain records (Docs/FORMAT.md §4): no headers, a key
 * and a value that are not null, every varint short. The Swift decoder
 * (RecordDecoder.decodePlainRecords) states the same rules; this loop only
 * ever accepts records that one accepts, with the same fields, and stops at
 * anything else for it to decode or reject.
 *
 * Why C: the records of one batch mostly share a shape, the byte sizes of
 * their varints. This loop reads the first eight bytes of a record as one
 * word, checks all its continuation and sign bits against the shape's with
 * one compare, and cuts the fields out with BMI2's PEXT, where the byte loop
 * branches on every byte. Swift has no way to reach PEXT without building the
 * whole module for BMI2. On a scan of 100-byte records it decodes a record in
 * about 4 ns against 6 (bench/README.md). */
#include <stdint.h>
#include <string.h>

#include "eventlog_shims.h"

#if defined(__x86_64__)
#include <immintrin.h>

/* The sizes of a record's first varints, as masks over its first word:
 * length, attributes (one byte, not read), timestamp delta, offset delta and
 * key length, then the value length's size, over the two bytes at its start. */
typedef struct {
    uint64_t check_mask;  /* continuation bits, and the sign bits that must be 0 */
    uint64_t check_bits;
    uint64_t length_bits, timestamp_bits, offset_bits, key_length_bits;
    unsigned length_size;  /* bytes of the length varint */
    unsigned key_at;       /* bytes from the record's start to its key */
    uint32_t value_check_mask, value_check_bits, value_length_bits;
    unsigned value_length_size;
} record_shape;

static inline uint64_t load64(const uint8_t *p) {
    uint64_t word;
    memcpy(&word, p, 8);
    return word;
}

/* The shape of the record at `at`, if its first five fields take at most
 * eight bytes, no varint more than three, and its key and value lengths are
 * not negative (-1 is null; the Swift loop takes those). */
__attribute__((target("bmi2"))) static int shape_of(const uint8_t *base, size_t at, size_t available,
                                                    record_shape *shape) {
    if (at > available || available - at < 8) return 0;
    unsigned sizes[5], start[5], used = 0;
    for (int field = 0; field < 5; field++) {
        unsigned size = 1;
        if (field != 1) /* the attributes byte is a plain byte */
            while (used + size <= 8 && size <= 3 && (base[at + used + size - 1] & 0x80)) size++;
        if (size > 3 || used + size > 8) return 0;
        start[field] = used;
        sizes[field] = size;
        used += size;
    }
    uint64_t bits[5] = {0}, check_mask = 0, check_bits = 0;
    for (int field = 0; field < 5; field++) {
        if (field == 1) continue;
        for (unsigned byte = 0; byte < sizes[field]; byte++) {
            unsigned shift = 8 * (start[field] + byte);
            bits[field] |= 0x7fULL << shift;
            check_mask |= 0x80ULL << shift;
            if (byte + 1 < sizes[field]) check_bits |= 0x80ULL << shift;
        }
    }
    /* Zig-zag puts the sign in bit 0: the length, the offset delta and the
     * key length must not be negative here. With that bit checked to be 0,
     * leaving it out of the field's mask gives the value itself, one shift
     * fewer on the chain from one record's start to the next. */
    const uint64_t signs = 1ULL << (8 * start[0]) | 1ULL << (8 * start[3]) | 1ULL << (8 * start[4]);
    check_mask |= signs;
    uint64_t word = load64(base + at);
    if ((word & check_mask) != check_bits) return 0;
    size_t value_at = at + used + _pext_u64(word, bits[4] & ~signs);
    if (value_at > available || available - value_at < 2) return 0;
    if (base[value_at] & 0x81) { /* two bytes, or negative */
        if ((base[value_at] & 1) || (base[value_at + 1] & 0x80)) return 0;
        shape->value_check_mask = 0x8081;
        shape->value_check_bits = 0x0080;
        shape->value_length_bits = 0x7f7e;
        shape->value_length_size = 2;
    } else {
        shape->value_check_mask = 0x81;
        shape->value_check_bits = 0;
        shape->value_length_bits = 0x7e;
        shape->value_length_size = 1;
    }
    shape->check_mask = check_mask;
    shape->check_bits = check_bits;
    shape->length_bits = bits[0] & ~signs;
    shape->timestamp_bits = bits[2];
    shape->offset_bits = bits[3] & ~signs;
    shape->key_length_bits = bits[4] & ~signs;
    shape->length_size = sizes[0];
    shape->key_at = used;
    return 1;
}

__attribute__((target("bmi2"))) static size_t decode_plain_bmi2(const uint8_t *base, size_t *position,
                                                                size_t available,
                                                                const eventlog_record_stamps *stamps,
                                                                eventlog_record_view *output, size_t room,
                                                                intptr_t header_start) {
    size_t count = 0, next = *position;
    record_shape shape;
    if (room == 0 || !shape_of(base, next, available, &shape)) return 0;
    size_t reshaped_at = SIZE_MAX; /* the record the value's shape was last taken from */
    /* Copied, so that the stores into `output` do not make the compiler
     * load them again for every record. */
    const uint32_t last_delta = (uint32_t)stamps->last_offset_delta;
    const int64_t base_offset = stamps->base_offset, timestamp_base = stamps->timestamp_base;
    const int64_t delta_mask = stamps->delta_mask;
    while (count < room) {
        size_t at = next; /* never past `available`: each record's end was checked */
        if (available - at < 8) break;
        uint64_t word = load64(base + at);
        if (__builtin_expect((word & shape.check_mask) != shape.check_bits, 0)) {
            if (!shape_of(base, at, available, &shape)) break;
        }
        size_t length = _pext_u64(word, shape.length_bits);
        size_t end = (at + shape.length_size) + length;
        uint64_t delta = _pext_u64(word, shape.offset_bits);
        if (end > available || delta > last_delta) break;
        size_t key_at = at + shape.key_at;
        size_t key_length = _pext_u64(word, shape.key_length_bits);
        size_t value_at = key_at + key_length;
        /* The value length and the header count take at least two bytes. */
        if (value_at + 2 > end) break;
        uint16_t value_word;
        memcpy(&value_word, base + value_at, 2);
        if (__builtin_expect((value_word & shape.value_check_mask) != shape.value_check_bits, 0)) {
            /* Again with the record's own shape, once: a second miss at the
             * same record ends the run rather than the loop spinning. */
            if (reshaped_at == at || !shape_of(base, at, available, &shape)) break;
            reshaped_at = at;
            continue;
        }
        size_t value_length = _pext_u32(value_word, shape.value_length_bits);
        size_t value_start = value_at + shape.value_length_size;
        /* The value ends where the record's header count (0) begins. */
        if (value_start + value_length + 1 != end || base[end - 1] != 0) break;
        uint64_t raw_stamp = _pext_u64(word, shape.timestamp_bits);
        int64_t stamp_delta = (int64_t)(raw_stamp >> 1) ^ -(int64_t)(raw_stamp & 1);
        eventlog_record_view *view = output + count;
        view->offset = base_offset + (int64_t)delta;
        view->timestamp = timestamp_base + (stamp_delta & delta_mask);
        view->key = base + key_at;
        view->key_length = (intptr_t)key_length;
        view->value = base + value_start;
        view->value_length = (intptr_t)value_length;
        view->header_start = header_start;
        view->header_count = 0;
        count++;
        next = end;
    }
    *position = next;
    return count;
}

#endif

/* PEXT is one instruction on Intel from Haswell and AMD from Zen 3; Zen 1
 * and 2 run it in microcode, tens of cycles, slower than the byte loop. */
int eventlog_plain_records_fast(void) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    return __builtin_cpu_supports("bmi2") && !__builtin_cpu_is("amdfam17h");
#else
    return 0;
#endif
}

size_t eventlog_decode_plain_records(const uint8_t *base, size_t *position, size_t available,
                                     const eventlog_record_stamps *stamps, eventlog_record_view *output,
                                     size_t room, intptr_t header_start) {
#if defined(__x86_64__)
    return decode_plain_bmi2(base, position, available, stamps, output, room, header_start);
#else
    (void)base, (void)position, (void)available, (void)stamps, (void)output, (void)room, (void)header_start;
    return 0;
#endif
}
