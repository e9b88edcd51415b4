/* SPDX-License-Identifier: Apache-2.0 */
/* CRC-32C (Castagnoli), as Kafka's record batches use it.
 *
 * Written by hand rather than taken from a library: the one library that does
 * it faster (isa-l) would become a runtime dependency of every C program that
 * links libeventlog, for a function that is a few lines with the SSE4.2 crc32
 * instruction. One stream of that instruction waits on its own result; three
 * interleaved streams over three parts of the buffer, joined by shifting the
 * first CRCs over the bytes of the later parts (Mark Adler's method, shift
 * tables built at first use), run about three times faster, which a replay
 * notices: it checks every batch. CPUs with AVX-512 and VPCLMULQDQ fold
 * instead, about twice as fast again (crc32c_fold.c); CPUs without SSE4.2
 * use a slice-by-8 table. */
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "eventlog_shims.h"

static uint32_t table[8][256];
static int use_hardware;
static int use_folding;
static pthread_once_t chosen = PTHREAD_ONCE_INIT;

static void init_tables(void) {
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t crc = n;
        for (int k = 0; k < 8; k++) crc = (crc >> 1) ^ (0x82F63B78u & (0u - (crc & 1u)));
        table[0][n] = crc;
    }
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t crc = table[0][n];
        for (int k = 1; k < 8; k++) {
            crc = table[0][crc & 0xFF] ^ (crc >> 8);
            table[k][n] = crc;
        }
    }
}

static uint32_t crc32c_software(uint32_t crc, const unsigned char *p, size_t len) {
    while (len >= 8) {
        uint64_t word;
        memcpy(&word, p, 8);
        word ^= crc; /* little-endian hosts only: the table layout assumes it */
        crc = table[7][word & 0xFF] ^ table[6][(word >> 8) & 0xFF] ^
              table[5][(word >> 16) & 0xFF] ^ table[4][(word >> 24) & 0xFF] ^
              table[3][(word >> 32) & 0xFF] ^ table[2][(word >> 40) & 0xFF] ^
              table[1][(word >> 48) & 0xFF] ^ table[0][word >> 56];
        p += 8;
        len -= 8;
    }
    while (len--) crc = table[0][(crc ^ *p++) & 0xFF] ^ (crc >> 8);
    return crc;
}

#if defined(__x86_64__)
/* The parts the three streams take: long ones for batches, short ones for
 * what is left. Powers of two (see zeros_operator). */
#define LONG_PART 8192
#define SHORT_PART 256

/* shift_long[k][b]: the CRC register after LONG_PART zero bytes, for a
 * register holding byte value b at byte k (the operator is linear). */
static uint32_t shift_long[4][256];
static uint32_t shift_short[4][256];

static uint32_t gf2_times(const uint32_t *matrix, uint32_t vector) {
    uint32_t sum = 0;
    for (; vector; vector >>= 1, matrix++)
        if (vector & 1) sum ^= *matrix;
    return sum;
}

static void gf2_square(uint32_t *square, const uint32_t *matrix) {
    for (int n = 0; n < 32; n++) square[n] = gf2_times(matrix, matrix[n]);
}

/* The operator that appends `len` zero bytes to a CRC register; `len` is a
 * power of two. */
static void zeros_operator(uint32_t *even, size_t len) {
    uint32_t odd[32];
    odd[0] = 0x82F63B78u; /* one zero bit */
    for (int n = 1; n < 32; n++) odd[n] = 1u << (n - 1);
    gf2_square(even, odd); /* two zero bits */
    gf2_square(odd, even); /* four */
    do {
        gf2_square(even, odd); /* one zero byte, then 4, 16, ... */
        len >>= 1;
        if (len == 0) return;
        gf2_square(odd, even); /* two zero bytes, then 8, 32, ... */
        len >>= 1;
    } while (len);
    memcpy(even, odd, sizeof odd);
}

static void build_shift(uint32_t shift[4][256], size_t len) {
    uint32_t op[32];
    zeros_operator(op, len);
    for (uint32_t n = 0; n < 256; n++)
        for (int k = 0; k < 4; k++) shift[k][n] = gf2_times(op, n << (8 * k));
}

static inline uint32_t shifted(uint32_t shift[4][256], uint32_t crc) {
    return shift[0][crc & 0xFF] ^ shift[1][(crc >> 8) & 0xFF] ^ shift[2][(crc >> 16) & 0xFF] ^ shift[3][crc >> 24];
}

/* Three streams over three consecutive parts of `part` bytes each. */
__attribute__((target("sse4.2")))
static uint64_t crc32c_three_parts(uint64_t c0, const unsigned char *p, size_t part, uint32_t shift[4][256]) {
    uint64_t c1 = 0, c2 = 0;
    for (size_t i = 0; i < part; i += 8) {
        uint64_t w0, w1, w2;
        memcpy(&w0, p + i, 8);
        memcpy(&w1, p + part + i, 8);
        memcpy(&w2, p + 2 * part + i, 8);
        c0 = __builtin_ia32_crc32di(c0, w0);
        c1 = __builtin_ia32_crc32di(c1, w1);
        c2 = __builtin_ia32_crc32di(c2, w2);
    }
    c0 = shifted(shift, (uint32_t)c0) ^ (uint32_t)c1;
    return shifted(shift, (uint32_t)c0) ^ (uint32_t)c2;
}

__attribute__((target("sse4.2")))
static uint32_t crc32c_hardware(uint32_t crc, const unsigned char *p, size_t len) {
    uint64_t c = crc;
    for (; len >= 3 * LONG_PART; p += 3 * LONG_PART, len -= 3 * LONG_PART)
        c = crc32c_three_parts(c, p, LONG_PART, shift_long);
    for (; len >= 3 * SHORT_PART; p += 3 * SHORT_PART, len -= 3 * SHORT_PART)
        c = crc32c_three_parts(c, p, SHORT_PART, shift_short);
    while (len >= 8) {
        uint64_t word;
        memcpy(&word, p, 8);
        c = __builtin_ia32_crc32di(c, word);
        p += 8;
        len -= 8;
    }
    uint32_t c32 = (uint32_t)c;
    while (len--) c32 = __builtin_ia32_crc32qi(c32, *p++);
    return c32;
}
#endif

static void choose_implementation(void) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("sse4.2")) {
        build_shift(shift_long, LONG_PART);
        build_shift(shift_short, SHORT_PART);
        use_hardware = 1;
        if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("vpclmulqdq")) {
            eventlog_crc32c_fold_init();
            use_folding = 1;
        }
        return;
    }
#endif
    init_tables();
}

uint32_t eventlog_crc32c(uint32_t crc, const void *data, size_t len) {
    pthread_once(&chosen, choose_implementation);
    crc = ~crc;
#if defined(__x86_64__)
    if (use_folding && len >= 256) return ~eventlog_crc32c_fold(crc, data, len);
    if (use_hardware) return ~crc32c_hardware(crc, data, len);
#endif
    return ~crc32c_software(crc, data, len);
}
