# SPDX-License-Identifier: Apache-2.0
"""What the Kafka tests share: the mock cluster (mock_cluster.c) and its
independent reader, logs written and read through the `eventlog` tool, and
the exactly-once check of a shipped topic."""
import base64
import json
import os
import subprocess
import tempfile

CLI = os.environ["EVENTLOG_CLI"]
MOCK_CLUSTER = os.environ["MOCK_CLUSTER"]
PRODUCER = os.environ.get("PRODUCER")
SHIPPED = "eventlog.offset"
MIB = 1 << 20


class Cluster:
    """A mock cluster for the length of a `with` block."""

    def __init__(self, brokers=3):
        self.process = subprocess.Popen(
            [MOCK_CLUSTER, str(brokers)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.bootstraps = self.process.stdout.readline().strip()
        assert self.bootstraps, "mock_cluster did not start"

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.process.stdin.close()
        self.process.wait(timeout=30)

    def command(self, line):
        """Sends one command; returns the words after "ok"."""
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()
        answer = self.process.stdout.readline().split()
        assert answer[:1] == ["ok"], f"mock_cluster {line}: {' '.join(answer)}"
        return answer[1:]

    def topic(self, name, partitions):
        self.command(f"topic {name} {partitions}")

    def read(self, topic):
        """Every message of `topic` through a plain librdkafka consumer, as
        dicts: partition, offset, timestamp, murmur2 (the partition murmur2
        gives the key, -1 without key), key, value, headers [(name, value)]."""
        with tempfile.NamedTemporaryFile("r", suffix=".txt") as out:
            self.command(f"read {topic} {out.name}")
            return [parse_message(line.split()) for line in out]


def unhex(text):
    return None if text == "-" else bytes.fromhex(text[1:])


def parse_message(fields):
    partition, offset, timestamp, murmur2 = (int(f) for f in fields[:4])
    headers = [(name, unhex(value)) for name, value in (f.split("=", 1) for f in fields[6:])]
    return dict(partition=partition, offset=offset, timestamp=timestamp, murmur2=murmur2,
                key=unhex(fields[4]), value=unhex(fields[5]), headers=headers)


def run(*args, input=None, timeout=300):
    return subprocess.run([CLI, *args], input=input, capture_output=True, timeout=timeout)


def append(log, records):
    """Appends dicts with key, value (bytes or None), headers [(name, bytes or
    None)] and timestamp (ms, optional) through `eventlog append --json`."""
    lines = []
    for r in records:
        obj = {}
        for field in ("key", "value"):
            if r.get(field) is not None:
                obj[field + "_b64"] = base64.b64encode(r[field]).decode()
        obj["headers"] = {name: None if v is None else {"b64": base64.b64encode(v).decode()}
                          for name, v in r.get("headers", [])}
        if "timestamp" in r:
            obj["timestamp"] = r["timestamp"]
        lines.append(json.dumps(obj))
    result = run("append", log, "--json", "--batch", "1000", input=("\n".join(lines) + "\n").encode())
    assert result.returncode == 0, result.stderr.decode()


def decode_field(obj, field):
    if field + "_b64" in obj:
        return base64.b64decode(obj[field + "_b64"])
    value = obj.get(field)
    return None if value is None else value.encode()


def dump(log):
    """The log's records as dicts: offset, timestamp, key, value, headers."""
    result = run("dump", log)
    assert result.returncode == 0, result.stderr.decode()
    records = []
    for line in result.stdout.decode().splitlines():
        obj = json.loads(line)
        headers = []
        for name, value in (obj.get("headers") or {}).items():
            if isinstance(value, dict):
                value = base64.b64decode(value["b64"])
            elif value is not None:
                value = value.encode()
            headers.append((name, value))
        records.append(dict(offset=obj["offset"], timestamp=obj["timestamp"], key=decode_field(obj, "key"),
                            value=decode_field(obj, "value"), headers=headers))
    return records


def ship(log, cluster, topic, *args, timeout=300):
    return run("ship", log, "--brokers", cluster.bootstraps, "--topic", topic, *args, timeout=timeout)


def follow(log, cluster, topic, *args):
    """`eventlog ship --follow` started in the background, output piped."""
    return subprocess.Popen([CLI, "ship", log, "--brokers", cluster.bootstraps, "--topic", topic, "--follow", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def shipped_offset(message):
    values = [v for name, v in message["headers"] if name == SHIPPED]
    assert len(values) == 1 and len(values[0]) == 8, message
    return int.from_bytes(values[0], "big")


def check_exactly_once(cluster, topic, log, partitions, partition=None):
    """Every record of `log` is in `topic` once, with identical key, value,
    headers and timestamp, in source order within each partition, in the
    partition murmur2 gives its key (keyless: offset modulo the partition
    count), or all in `partition`. Returns the number of records."""
    expected = {r["offset"]: r for r in dump(log)}
    messages = cluster.read(topic)
    seen = {}
    last_in_partition = {}
    for m in messages:
        source = shipped_offset(m)
        assert source not in seen, f"record {source} shipped twice: {seen[source]} and {m}"
        seen[source] = m
        assert source in expected, f"record {source} is not in the log"
        r = expected[source]
        assert (m["key"], m["value"]) == (r["key"], r["value"]), f"record {source}: {m} != {r}"
        assert m["headers"][:-1] == r["headers"], f"record {source}: headers {m['headers']} != {r['headers']}"
        assert m["timestamp"] == r["timestamp"], f"record {source}: timestamp"
        if partition is not None:
            want = partition
        elif r["key"] is not None:
            want = m["murmur2"]
        else:
            want = source % partitions
        assert m["partition"] == want, f"record {source} in partition {m['partition']}, expected {want}"
        assert last_in_partition.get(m["partition"], -1) < source, f"record {source} out of order"
        last_in_partition[m["partition"]] = source
    missing = sorted(set(expected) - set(seen))
    assert not missing, f"{len(missing)} records not shipped, first {missing[:5]}"
    return len(seen)


def sample(count, start=0, big=()):
    """Keys (some null, some empty), tombstones, empty values, headers with
    empty and null values, explicit timestamps, and 1 MiB values at `big`."""
    for i in range(start, start + count):
        kind = i % 10
        yield {
            "key": None if kind == 0 else b"" if kind == 1 else b"user-%d" % (i % 997),
            "value": os.urandom(MIB) if i in big else None if kind == 2 else b"" if kind == 3 else b"v%d." % i * (1 + i % 7),
            "headers": [("trace", b"%d" % i), ("empty", b""), ("null", None)] if i % 3 == 0 else [],
            "timestamp": 1_700_000_000_000 + i,
        }
