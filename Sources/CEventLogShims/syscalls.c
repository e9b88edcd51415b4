/* SPDX-License-Identifier: Apache-2.0 */
/* GNU-only system calls that Swift's Glibc module does not import. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "eventlog_shims.h"

int eventlog_fallocate(int fd, off_t offset, off_t len) {
    int rc;
    do rc = fallocate(fd, 0, offset, len);
    while (rc != 0 && errno == EINTR);
    return rc == 0 ? 0 : errno;
}

int eventlog_futex_wait(uint32_t *word, uint32_t expected, int64_t timeout_ns) {
    struct timespec ts, *tsp = NULL;
    if (timeout_ns >= 0) {
        ts.tv_sec = (time_t)(timeout_ns / 1000000000);
        ts.tv_nsec = (long)(timeout_ns % 1000000000);
        tsp = &ts;
    }
    long rc = syscall(SYS_futex, word, FUTEX_WAIT, expected, tsp, NULL, 0);
    return rc == 0 ? 0 : errno;
}

void eventlog_futex_wake_all(uint32_t *word) {
    syscall(SYS_futex, word, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}
