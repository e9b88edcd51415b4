/* SPDX-License-Identifier: Apache-2.0 */
/* The thread-local last-error message of the C API. Kept in C because a
 * _Thread_local buffer is the one per-thread storage that needs no
 * allocation, no destructor and no registration from Swift. */
#include <string.h>

#include "eventlog.h"
#include "eventlog_internal.h"

enum { ERRMSG_CAPACITY = 1024 };

static _Thread_local char errmsg[ERRMSG_CAPACITY];

const char *eventlog_errmsg(void) { return errmsg; }

void eventlog_internal_set_errmsg(const char *message, size_t len) {
    if (len >= ERRMSG_CAPACITY) len = ERRMSG_CAPACITY - 1;
    memcpy(errmsg, message, len);
    errmsg[len] = '\0';
}
