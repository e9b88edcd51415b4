/* SPDX-License-Identifier: Apache-2.0 */
/* Exposes librdkafka's C client to Swift (EventLogKafka only). */
#include <librdkafka/rdkafka.h>
