/* Exposes librdkafka's C client to Swift (EventLogKafka only). */
#include <librdkafka/rdkafka.h>
