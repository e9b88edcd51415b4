/* SPDX-License-Identifier: Apache-2.0 */
/* Internal helpers of the C ABI layer: the thread-local error message behind
 * eventlog_errmsg(). Not installed; hidden from the shared library's exports. */
#ifndef EVENTLOG_INTERNAL_H
#define EVENTLOG_INTERNAL_H

#include <stddef.h>

/* Copies `len` bytes of `message` (truncated to fit) into the calling
 * thread's error buffer. */
__attribute__((visibility("hidden")))
void eventlog_internal_set_errmsg(const char *message, size_t len);

#endif
