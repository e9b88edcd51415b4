/* SPDX-License-Identifier: Apache-2.0 */
/* A prefetch hint, which Swift has no way to issue: compaction's key set
 * asks for the slots of the next keys before it looks them up, so that
 * their cache misses overlap. A prefetch retires at once, unlike a load,
 * so many can be in flight. */
#ifndef EVENTLOG_PREFETCH_H
#define EVENTLOG_PREFETCH_H

static inline void eventlog_prefetch(const void *address) { __builtin_prefetch(address, 0, 3); }

#endif
