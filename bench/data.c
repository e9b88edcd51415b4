/* SPDX-License-Identifier: Apache-2.0 */
/*
 * data.c - the deterministic data set: JSON-like events built from a fixed
 * seed with splitmix64, so every machine and every run appends the same
 * bytes. Fields come from small vocabularies with skewed choices and numbers
 * of realistic size, so the events compress about as well as real telemetry
 * does (roughly 2-3x with LZ4), neither as trivially as repeated text nor as
 * badly as random bytes. Keys are 16 ASCII bytes drawn from a key space a
 * quarter the size of the data set, so keys repeat and compaction has work.
 */
#include "bench.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static uint64_t splitmix64(uint64_t *state) {
    uint64_t z = (*state += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

/* A skewed pick from n items: item 0 most often. */
static size_t pick(uint64_t *rng, size_t n) {
    uint64_t a = splitmix64(rng) % n, b = splitmix64(rng) % n;
    return (size_t)(a < b ? a : b);
}

static const char *const event_types[] = {
    "page_view", "click", "add_to_cart", "search", "login", "logout", "purchase", "scroll", "video_play", "error",
};
static const char *const paths[] = {
    "products", "cart", "checkout", "search", "account", "help", "blog", "orders", "wishlist", "home",
};
static const char *const countries[] = {"DE", "US", "FR", "GB", "JP", "BR", "IN", "NL", "SE", "ES", "IT", "CA"};
static const char *const agents[] = {
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_2) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Safari/605.1.15",
    "okhttp/4.12.0",
};
static const char *const words[] = {
    "the", "order", "was", "shipped", "to", "customer", "after", "payment", "confirmed", "by", "bank", "and",
    "warehouse", "picked", "items", "from", "shelf", "in", "zone", "with", "priority", "standard", "express",
    "delayed", "because", "of", "weather", "retry", "scheduled", "for", "tomorrow", "morning", "invoice", "sent",
};
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Appends printf output to buf at *len (buf has room: callers size it). */
static void put(char *buf, size_t *len, size_t cap, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void put(char *buf, size_t *len, size_t cap, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf + *len, cap - *len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= cap - *len) die("data: event buffer too small");
    *len += (size_t)n;
}

/* One small event, about 100 bytes. */
static size_t small_event(uint64_t *rng, uint64_t id, char *buf, size_t cap) {
    size_t len = 0;
    put(buf, &len, cap, "{\"id\":%llu,\"ts\":%llu,\"user\":\"u%06u\",\"ev\":\"%s\",\"path\":\"/%s/%u\",\"ms\":%u,\"ok\":%s}",
        (unsigned long long)(10000000 + id), (unsigned long long)(1700000000000 + id * 3 + splitmix64(rng) % 3),
        (unsigned)(splitmix64(rng) % 200000), event_types[pick(rng, COUNT(event_types))],
        paths[pick(rng, COUNT(paths))], (unsigned)(splitmix64(rng) % 10000), (unsigned)(splitmix64(rng) % 2000),
        splitmix64(rng) % 16 ? "true" : "false");
    return len;
}

/* One large event, about 1 KiB: the small one's fields plus context, a
 * free-text message and a list of items. */
static size_t large_event(uint64_t *rng, uint64_t id, char *buf, size_t cap, size_t target) {
    size_t len = 0;
    put(buf, &len, cap,
        "{\"id\":%llu,\"ts\":%llu,\"user\":\"u%06u\",\"ev\":\"%s\",\"path\":\"/%s/%u\",\"ms\":%u,"
        "\"country\":\"%s\",\"ip\":\"10.%u.%u.%u\",\"session\":\"%016llx\",\"ua\":\"%s\",\"msg\":\"",
        (unsigned long long)(10000000 + id), (unsigned long long)(1700000000000 + id * 3),
        (unsigned)(splitmix64(rng) % 200000), event_types[pick(rng, COUNT(event_types))],
        paths[pick(rng, COUNT(paths))], (unsigned)(splitmix64(rng) % 10000), (unsigned)(splitmix64(rng) % 2000),
        countries[pick(rng, COUNT(countries))], (unsigned)(splitmix64(rng) % 256), (unsigned)(splitmix64(rng) % 256),
        (unsigned)(splitmix64(rng) % 256), (unsigned long long)splitmix64(rng), agents[pick(rng, COUNT(agents))]);
    size_t message_end = len + 200 + splitmix64(rng) % 200;
    while (len < message_end) put(buf, &len, cap, "%s ", words[pick(rng, COUNT(words))]);
    put(buf, &len, cap, "\",\"items\":[");
    for (int first = 1; len + 64 < target; first = 0)
        put(buf, &len, cap, "%s{\"sku\":\"SKU-%05u\",\"qty\":%u,\"cents\":%u}", first ? "" : ",",
            (unsigned)(splitmix64(rng) % 50000), (unsigned)(1 + pick(rng, 5)), (unsigned)(splitmix64(rng) % 100000));
    put(buf, &len, cap, "]}");
    return len;
}

void dataset_generate(dataset *d, const char *name, size_t count, size_t target_value_bytes) {
    memset(d, 0, sizeof *d);
    d->name = name;
    d->count = count;
    d->key_bytes = BENCH_KEY_BYTES;
    d->key_space = count / 4 ? count / 4 : 1;
    size_t cap = target_value_bytes * 2 + 512;
    d->keys = malloc(count * d->key_bytes);
    d->value_start = malloc((count + 1) * sizeof *d->value_start);
    size_t values_cap = count * (target_value_bytes + target_value_bytes / 4 + 64);
    d->values = malloc(values_cap);
    if (!d->keys || !d->value_start || !d->values) die("data: out of memory for %zu records", count);
    uint64_t rng = UINT64_C(0x5EED0000) + target_value_bytes;
    size_t used = 0;
    char key[32];
    for (size_t i = 0; i < count; i++) {
        snprintf(key, sizeof key, "k%015llu", (unsigned long long)(splitmix64(&rng) % d->key_space));
        memcpy(d->keys + i * d->key_bytes, key, d->key_bytes);
        if (used + cap > values_cap) die("data: value buffer too small");
        d->value_start[i] = used;
        char *out = (char *)d->values + used;
        used += target_value_bytes <= 200 ? small_event(&rng, i, out, cap)
                                          : large_event(&rng, i, out, cap, target_value_bytes);
    }
    d->value_start[count] = used;
    d->value_bytes = used;
}

void dataset_free(dataset *d) {
    free(d->keys);
    free(d->values);
    free(d->value_start);
    memset(d, 0, sizeof *d);
}
