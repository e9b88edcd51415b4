/* CRC-32C (Castagnoli), as Kafka's record batches use it.
 *
 * Written by hand rather than taken from a library: the one library that does
 * it faster (isa-l) would become a runtime dependency of every C program that
 * links libeventlog, for a function that is a few lines with the SSE4.2 crc32
 * instruction. That instruction runs at about 11 GB/s on one stream, an order
 * of magnitude faster than LZ4, so the checksum is never the bottleneck. CPUs
 * without it use a slice-by-8 table. */
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "eventlog_shims.h"

static uint32_t table[8][256];
static int use_hardware;
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
__attribute__((target("sse4.2")))
static uint32_t crc32c_hardware(uint32_t crc, const unsigned char *p, size_t len) {
    uint64_t c = crc;
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
        use_hardware = 1;
        return;
    }
#endif
    init_tables();
}

uint32_t eventlog_crc32c(uint32_t crc, const void *data, size_t len) {
    pthread_once(&chosen, choose_implementation);
    crc = ~crc;
#if defined(__x86_64__)
    if (use_hardware) return ~crc32c_hardware(crc, data, len);
#endif
    return ~crc32c_software(crc, data, len);
}
