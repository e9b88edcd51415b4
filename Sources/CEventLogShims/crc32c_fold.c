/* SPDX-License-Identifier: Apache-2.0 */
/* CRC-32C by carry-less multiplication, for CPUs with AVX-512 and
 * VPCLMULQDQ: the method of Intel's "Fast CRC Computation for Generic
 * Polynomials Using PCLMULQDQ" (Gopal et al., 2009), on 512-bit registers.
 *
 * Why: the crc32 instruction in three streams (crc32c.c) checks about 8
 * bytes a cycle; sixteen 128-bit lanes of folding check about twice that,
 * and a scan checks every batch it reads. isa-l has this code too, but would
 * become a runtime dependency of every program that links libeventlog.
 *
 * How: the message, as a polynomial over GF(2), keeps its remainder modulo
 * the CRC polynomial P if a 128-bit piece of it is replaced by that piece
 * times x^D modulo P, added D bits further on ("folding" it forward). With
 * the bit-reflected order of CRC-32C, a piece's low 64 bits are its high
 * coefficients: lo * (x^(D+32) mod P) + hi * (x^(D-32) mod P) is the fold,
 * each constant bit-reflected and shifted left by one to line the 95-bit
 * products up with the data. Folding leaves 128 bits whose CRC, from a zero
 * register, is the CRC of everything folded; the crc32 instruction finishes. */
#include <stdint.h>
#include <string.h>

#include "eventlog_shims.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define CASTAGNOLI 0x1EDC6F41u /* x^32 implied */

/* x^exponent mod P, bit-reflected, shifted left by one: a 33-bit constant. */
static uint64_t fold_constant(unsigned exponent) {
    uint64_t remainder = 1;
    for (unsigned n = 0; n < exponent; n++) {
        remainder <<= 1;
        if (remainder & (1ULL << 32)) remainder ^= (1ULL << 32) | CASTAGNOLI;
    }
    uint64_t reflected = 0;
    for (int bit = 0; bit < 32; bit++)
        if (remainder & (1ULL << bit)) reflected |= 1ULL << (31 - bit);
    return reflected << 1;
}

/* The pair of constants that folds 128 bits forward by `bits`. */
static __m128i fold_pair(unsigned bits) {
    return _mm_set_epi64x((long long)fold_constant(bits - 32), (long long)fold_constant(bits + 32));
}

static __m128i by_2048, by_512, by_384, by_256, by_128;

void eventlog_crc32c_fold_init(void) {
    by_2048 = fold_pair(2048);
    by_512 = fold_pair(512);
    by_384 = fold_pair(384);
    by_256 = fold_pair(256);
    by_128 = fold_pair(128);
}

#define FOLD_TARGET __attribute__((target("avx512f,vpclmulqdq,pclmul,sse4.2")))

/* Each of the four 128-bit lanes of `x` folded by `k` onto `next`. */
FOLD_TARGET static inline __m512i fold_512(__m512i x, __m512i k, __m512i next) {
    return _mm512_ternarylogic_epi64(_mm512_clmulepi64_epi128(x, k, 0x00), _mm512_clmulepi64_epi128(x, k, 0x11),
                                     next, 0x96);
}

FOLD_TARGET static inline __m128i fold_128(__m128i x, __m128i k, __m128i next) {
    return _mm_xor_si128(_mm_xor_si128(_mm_clmulepi64_si128(x, k, 0x00), _mm_clmulepi64_si128(x, k, 0x11)), next);
}

/* The CRC register after `len` bytes from `crc` (no inversion); len >= 256. */
FOLD_TARGET uint32_t eventlog_crc32c_fold(uint32_t crc, const unsigned char *p, size_t len) {
    __m512i x0 = _mm512_loadu_si512(p), x1 = _mm512_loadu_si512(p + 64);
    __m512i x2 = _mm512_loadu_si512(p + 128), x3 = _mm512_loadu_si512(p + 192);
    /* A register's starting value adds into the message's first 32 bits. */
    x0 = _mm512_xor_si512(x0, _mm512_zextsi128_si512(_mm_cvtsi32_si128((int)crc)));
    p += 256;
    len -= 256;
    const __m512i k2048 = _mm512_broadcast_i32x4(by_2048);
    for (; len >= 256; p += 256, len -= 256) {
        x0 = fold_512(x0, k2048, _mm512_loadu_si512(p));
        x1 = fold_512(x1, k2048, _mm512_loadu_si512(p + 64));
        x2 = fold_512(x2, k2048, _mm512_loadu_si512(p + 128));
        x3 = fold_512(x3, k2048, _mm512_loadu_si512(p + 192));
    }
    const __m512i k512 = _mm512_broadcast_i32x4(by_512);
    x1 = fold_512(x0, k512, x1);
    x2 = fold_512(x1, k512, x2);
    x3 = fold_512(x2, k512, x3);
    for (; len >= 64; p += 64, len -= 64) x3 = fold_512(x3, k512, _mm512_loadu_si512(p));
    /* The four lanes into the last one. */
    __m128i x = _mm512_extracti32x4_epi32(x3, 3);
    x = fold_128(_mm512_extracti32x4_epi32(x3, 0), by_384, x);
    x = fold_128(_mm512_extracti32x4_epi32(x3, 1), by_256, x);
    x = fold_128(_mm512_extracti32x4_epi32(x3, 2), by_128, x);
    for (; len >= 16; p += 16, len -= 16) x = fold_128(x, by_128, _mm_loadu_si128((const __m128i *)p));
    uint64_t c = _mm_crc32_u64(0, (uint64_t)_mm_cvtsi128_si64(x));
    c = _mm_crc32_u64(c, (uint64_t)_mm_extract_epi64(x, 1));
    uint32_t c32 = (uint32_t)c;
    while (len--) c32 = _mm_crc32_u8(c32, *p++);
    return c32;
}
#endif
