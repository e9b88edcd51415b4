// SPDX-License-Identifier: Apache-2.0
#define _GNU_SOURCE
#include <fcntl.h>
#include <stddef.h>
#include <sys/stat.h>
#include "serve_shims.h"

int serve_birth_time_ns(const char *path, int64_t *nanoseconds) {
    if (path == NULL || nanoseconds == NULL) return -1;
    struct statx sx;
    if (statx(AT_FDCWD, path, 0, STATX_BTIME, &sx) != 0) return -1;
    if (!(sx.stx_mask & STATX_BTIME)) return -1;
    *nanoseconds = (int64_t)sx.stx_btime.tv_sec * 1000000000 + sx.stx_btime.tv_nsec;
    return 0;
}
