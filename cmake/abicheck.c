/* SPDX-License-Identifier: Apache-2.0 */
/* Build-time check that include/eventlog.h declares every @c function of the
 * Swift module EventLogCABI with the same C signature. Compiled with
 * -fsyntax-only, never linked: SwiftPM's generated EventLogCABI-Swift.h
 * repeats each @c prototype, and a signature that drifted from the header is
 * a "conflicting types" error. EVENTLOG_ABI_CHECK makes the header declare
 * its opaque handles as void, which is how Swift prints OpaquePointer. */
#define EVENTLOG_ABI_CHECK 1
#include <eventlog.h>
#include <EventLogCABI-Swift.h>
