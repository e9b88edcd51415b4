/* SPDX-License-Identifier: Apache-2.0 */
/*
 * metrics.c - the registry of measured values: each metric gets one sample
 * per run of the suite, and the report prints the median. A metric that a
 * configuration cannot produce is marked n/a with its reason instead. Also
 * the tail-latency histograms, which are merged over runs. Main thread only.
 */
#include "bench.h"

#include <stdlib.h>
#include <string.h>

typedef struct metric {
    char *name;
    double *samples;
    size_t count, capacity;
    char *na_reason;
} metric;

static metric *metrics;
static size_t metrics_count, metrics_capacity;

static metric *find(const char *name, int create) {
    for (size_t i = 0; i < metrics_count; i++)
        if (!strcmp(metrics[i].name, name)) return &metrics[i];
    if (!create) return NULL;
    if (metrics_count == metrics_capacity) {
        metrics_capacity = metrics_capacity ? 2 * metrics_capacity : 64;
        metrics = realloc(metrics, metrics_capacity * sizeof *metrics);
        if (!metrics) die("out of memory");
    }
    metric *m = &metrics[metrics_count++];
    memset(m, 0, sizeof *m);
    m->name = strdup(name);
    return m;
}

void metric_add(const char *name, double value) {
    metric *m = find(name, 1);
    if (m->count == m->capacity) {
        m->capacity = m->capacity ? 2 * m->capacity : 4;
        m->samples = realloc(m->samples, m->capacity * sizeof *m->samples);
        if (!m->samples) die("out of memory");
    }
    m->samples[m->count++] = value;
}

void metric_na(const char *name, const char *reason) {
    metric *m = find(name, 1);
    free(m->na_reason);
    m->na_reason = strdup(reason);
}

int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int metric_get(const char *name, double *median) {
    metric *m = find(name, 0);
    if (!m || m->count == 0) return 0;
    double *sorted = malloc(m->count * sizeof *sorted);
    memcpy(sorted, m->samples, m->count * sizeof *sorted);
    qsort(sorted, m->count, sizeof *sorted, cmp_double);
    *median = m->count % 2 ? sorted[m->count / 2] : (sorted[m->count / 2 - 1] + sorted[m->count / 2]) / 2;
    free(sorted);
    return 1;
}

const char *metric_na_reason(const char *name) {
    metric *m = find(name, 0);
    return m && m->count == 0 ? m->na_reason : NULL;
}

size_t metric_count(void) { return metrics_count; }
const char *metric_name(size_t i) { return metrics[i].name; }
size_t metric_samples(size_t i, const double **samples) {
    *samples = metrics[i].samples;
    return metrics[i].count;
}

static hist *tail_same, *tail_cross, *tail_futex;

hist *tail_hist(const char *mode) {
    hist **h = !strcmp(mode, "same") ? &tail_same : !strcmp(mode, "cross") ? &tail_cross : &tail_futex;
    if (!*h) {
        *h = malloc(sizeof **h);
        if (!*h) die("out of memory");
        hist_init(*h);
    }
    return *h;
}
