/* SPDX-License-Identifier: Apache-2.0 */
/* A Kafka cluster for the tests: librdkafka's mock cluster (the real
 * protocol on loopback ports), driven through stdin.
 *
 *   mock_cluster BROKERS
 *
 * prints the bootstrap servers on the first line of stdout, then reads
 * commands, one a line, answering each with "ok" or "error ...":
 *   topic NAME PARTITIONS            create a topic
 *   errors APIKEY CODE...            make the next requests of ApiKey (numeric:
 *                                    Produce 0, Fetch 1, ...) fail with CODEs
 *   down ID / up ID                  take broker ID (1..BROKERS) down or up
 *   produce TOPIC PARTITION COUNT    write COUNT records "k<i>"/"v<i>" with a
 *                                    header h=<i> through a plain producer
 *   bench-produce TOPIC COUNT        the ceiling of `eventlog ship` for bench/:
 *                                    COUNT bench records (bench_record) through a
 *                                    plain producer with ship's default settings;
 *                                    answers "ok SECONDS" (first produce to flush)
 *   bench-consume TOPIC PARTITION    the ceiling of `eventlog import`: a plain
 *                                    read_committed consumer of the partition;
 *                                    answers "ok COUNT SECONDS"
 *   read TOPIC FILE                  write every message of TOPIC to FILE, one a
 *                                    line: partition offset timestamp, the
 *                                    partition murmur2 gives its key, key, value,
 *                                    then headers name=value; bytes in hex, "-"
 *                                    for null (an independent reader: a plain
 *                                    librdkafka consumer)
 * and exits when stdin closes. */
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static rd_kafka_t *client(const char *bootstraps, rd_kafka_type_t type) {
    char err[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "2", err, sizeof err);
    if (bootstraps)
        rd_kafka_conf_set(conf, "bootstrap.servers", bootstraps, err, sizeof err);
    if (type == RD_KAFKA_CONSUMER)
        rd_kafka_conf_set(conf, "enable.partition.eof", "true", err, sizeof err);
    rd_kafka_t *rk = rd_kafka_new(type, conf, err, sizeof err);
    if (!rk) {
        fprintf(stderr, "mock_cluster: %s\n", err);
        exit(1);
    }
    return rk;
}

/* Writes COUNT records to TOPIC/PARTITION. */
static void produce(const char *bootstraps, const char *topic, int partition, int count) {
    rd_kafka_t *rk = client(bootstraps, RD_KAFKA_PRODUCER);
    for (int i = 0; i < count; i++) {
        char key[32], value[32];
        int key_len = snprintf(key, sizeof key, "k%d", i), value_len = snprintf(value, sizeof value, "v%d", i);
        rd_kafka_resp_err_t err = rd_kafka_producev(
            rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(partition), RD_KAFKA_V_KEY(key, (size_t)key_len),
            RD_KAFKA_V_VALUE(value, (size_t)value_len), RD_KAFKA_V_HEADER("h", value + 1, value_len - 1),
            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
        if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            rd_kafka_poll(rk, 100);
            i--;
        } else if (err) {
            printf("error %s\n", rd_kafka_err2str(err));
            rd_kafka_destroy(rk);
            return;
        }
    }
    printf(rd_kafka_flush(rk, 30000) ? "error flush timed out\n" : "ok\n");
    rd_kafka_destroy(rk);
}

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Record i of the benchmark, as bench/kafka_bench.py appends it to the log:
 * keys repeat (25,000 users), values are 100-byte JSON-like events. */
static void bench_record(int i, char key[32], size_t *key_len, char value[128]) {
    *key_len = (size_t)snprintf(key, 32, "user-%d", i % 25000);
    int n = snprintf(value, 128, "{\"seq\":%d,\"type\":\"click\",\"page\":\"/item/%d\",\"session\":\"%08x\"}", i,
                     (i * 7919) % 100000, (unsigned)i * 2654435761u);
    memset(value + n, ' ', (size_t)(100 - n));
}

static void bench_produce(const char *bootstraps, const char *topic, int count) {
    static const char *settings[][2] = {
        {"enable.idempotence", "true"}, {"acks", "all"}, {"compression.codec", "lz4"},
        {"partitioner", "murmur2_random"}, {"linger.ms", "10"}, {"batch.num.messages", "10000"},
        {"bootstrap.servers", NULL}, {"log_level", "2"}};
    char err[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    for (size_t i = 0; i < sizeof settings / sizeof settings[0]; i++)
        rd_kafka_conf_set(conf, settings[i][0], settings[i][1] ? settings[i][1] : bootstraps, err, sizeof err);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    double start = now_seconds();
    for (int i = 0; i < count; i++) {
        char key[32], value[128];
        size_t key_len;
        unsigned char offset[8];
        bench_record(i, key, &key_len, value);
        for (int b = 0; b < 8; b++)
            offset[b] = (unsigned char)((uint64_t)i >> (56 - 8 * b));
        rd_kafka_resp_err_t e = rd_kafka_producev(
            rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_KEY(key, key_len), RD_KAFKA_V_VALUE(value, 100),
            RD_KAFKA_V_HEADER("eventlog.offset", offset, 8), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
        if (e == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            rd_kafka_poll(rk, 100);
            i--;
        }
        rd_kafka_poll(rk, 0);
    }
    int flushed = rd_kafka_flush(rk, 60000) == 0;
    double seconds = now_seconds() - start;
    rd_kafka_destroy(rk);
    if (flushed)
        printf("ok %.3f\n", seconds);
    else
        printf("error flush timed out\n");
}

static void bench_consume(const char *bootstraps, const char *topic, int partition) {
    char err[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", bootstraps, err, sizeof err);
    rd_kafka_conf_set(conf, "isolation.level", "read_committed", err, sizeof err);
    rd_kafka_conf_set(conf, "enable.partition.eof", "true", err, sizeof err);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
    double start = now_seconds();
    rd_kafka_consume_start(rkt, partition, RD_KAFKA_OFFSET_BEGINNING);
    long count = 0;
    int done = 0;
    while (!done) {
        rd_kafka_message_t *batch[4096];
        ssize_t n = rd_kafka_consume_batch(rkt, partition, 200, batch, 4096);
        for (ssize_t i = 0; i < n; i++) {
            if (batch[i]->err == RD_KAFKA_RESP_ERR__PARTITION_EOF)
                done = 1;
            else if (!batch[i]->err)
                count++;
            rd_kafka_message_destroy(batch[i]);
        }
    }
    double seconds = now_seconds() - start;
    rd_kafka_consume_stop(rkt, partition);
    rd_kafka_topic_destroy(rkt);
    rd_kafka_destroy(rk);
    printf("ok %ld %.3f\n", count, seconds);
}

static void hex(FILE *out, const void *bytes, size_t size) {
    if (!bytes) {
        fputc('-', out);
        return;
    }
    fputc('x', out); /* "x" alone: empty */
    for (size_t i = 0; i < size; i++)
        fprintf(out, "%02x", ((const unsigned char *)bytes)[i]);
}

static void read_topic(const char *bootstraps, const char *topic, const char *path) {
    rd_kafka_t *rk = client(bootstraps, RD_KAFKA_CONSUMER);
    const rd_kafka_metadata_t *md;
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
    FILE *out = fopen(path, "w");
    if (!out || rd_kafka_metadata(rk, 0, rkt, &md, 10000) || md->topic_cnt != 1) {
        printf("error no metadata\n");
        return;
    }
    int partitions = md->topics[0].partition_cnt;
    rd_kafka_metadata_destroy(md);
    for (int p = 0; p < partitions; p++) {
        int64_t low, high;
        if (rd_kafka_query_watermark_offsets(rk, topic, p, &low, &high, 10000)) {
            printf("error watermarks\n");
            return;
        }
        if (high <= low)
            continue;
        rd_kafka_consume_start(rkt, p, low);
        for (;;) {
            rd_kafka_message_t *m = rd_kafka_consume(rkt, p, 10000);
            if (!m) {
                printf("error consume timed out\n");
                return;
            }
            if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                rd_kafka_message_destroy(m);
                break;
            }
            if (m->err) {
                printf("error %s\n", rd_kafka_message_errstr(m));
                return;
            }
            fprintf(out, "%d %lld %lld %d", p, (long long)m->offset, (long long)rd_kafka_message_timestamp(m, NULL),
                    m->key ? rd_kafka_msg_partitioner_murmur2(rkt, m->key, m->key_len, partitions, NULL, NULL) : -1);
            fputc(' ', out);
            hex(out, m->key, m->key_len);
            fputc(' ', out);
            hex(out, m->payload, m->len);
            rd_kafka_headers_t *headers;
            if (rd_kafka_message_headers(m, &headers) == 0) {
                const char *name;
                const void *value;
                size_t size;
                for (size_t i = 0; rd_kafka_header_get_all(headers, i, &name, &value, &size) == 0; i++) {
                    fprintf(out, " %s=", name);
                    hex(out, value, size);
                }
            }
            fputc('\n', out);
            rd_kafka_message_destroy(m);
        }
        rd_kafka_consume_stop(rkt, p);
    }
    fclose(out);
    rd_kafka_topic_destroy(rkt);
    rd_kafka_destroy(rk);
    printf("ok\n");
}

int main(int argc, char **argv) {
    int brokers = argc > 1 ? atoi(argv[1]) : 3;
    rd_kafka_t *owner = client(NULL, RD_KAFKA_PRODUCER);
    rd_kafka_mock_cluster_t *cluster = rd_kafka_mock_cluster_new(owner, brokers);
    if (!cluster) {
        fprintf(stderr, "mock_cluster: rd_kafka_mock_cluster_new failed\n");
        return 1;
    }
    const char *bootstraps = rd_kafka_mock_cluster_bootstraps(cluster);
    printf("%s\n", bootstraps);
    fflush(stdout);
    char line[4096];
    while (fgets(line, sizeof line, stdin)) {
        char name[256], path[4096];
        int a = 0, b = 0;
        if (sscanf(line, "topic %255s %d", name, &a) == 2) {
            rd_kafka_resp_err_t err = rd_kafka_mock_topic_create(cluster, name, a, 1);
            printf(err ? "error %s\n" : "ok\n", rd_kafka_err2str(err));
        } else if (strncmp(line, "errors ", 7) == 0) {
            rd_kafka_resp_err_t codes[64];
            size_t n = 0;
            char *p = line + 7, *end;
            long apikey = strtol(p, &end, 10);
            for (p = end; n < 64; p = end) {
                long code = strtol(p, &end, 10);
                if (end == p)
                    break;
                codes[n++] = (rd_kafka_resp_err_t)code;
            }
            rd_kafka_mock_push_request_errors_array(cluster, (int16_t)apikey, n, codes);
            printf("ok\n");
        } else if (sscanf(line, "down %d", &a) == 1) {
            rd_kafka_mock_broker_set_down(cluster, a);
            printf("ok\n");
        } else if (sscanf(line, "up %d", &a) == 1) {
            rd_kafka_mock_broker_set_up(cluster, a);
            printf("ok\n");
        } else if (sscanf(line, "produce %255s %d %d", name, &a, &b) == 3) {
            produce(bootstraps, name, a, b);
        } else if (sscanf(line, "bench-produce %255s %d", name, &a) == 2) {
            bench_produce(bootstraps, name, a);
        } else if (sscanf(line, "bench-consume %255s %d", name, &a) == 2) {
            bench_consume(bootstraps, name, a);
        } else if (sscanf(line, "read %255s %4095s", name, path) == 2) {
            read_topic(bootstraps, name, path);
        } else {
            printf("error unknown command\n");
        }
        fflush(stdout);
    }
    rd_kafka_mock_cluster_destroy(cluster);
    rd_kafka_destroy(owner);
    return 0;
}
