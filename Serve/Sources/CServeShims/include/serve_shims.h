// SPDX-License-Identifier: Apache-2.0
// What Swift's Glibc module does not import: statx (a _GNU_SOURCE call).
#ifndef SERVE_SHIMS_H
#define SERVE_SHIMS_H
#include <stdint.h>

/// The birth time of `path` in nanoseconds since the epoch: 0 on success,
/// -1 when the call fails or the file system records no birth time.
int serve_birth_time_ns(const char *path, int64_t *nanoseconds);

#endif
