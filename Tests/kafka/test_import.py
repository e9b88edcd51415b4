# SPDX-License-Identifier: Apache-2.0
"""`eventlog import`: a partition written by a plain librdkafka producer
lands in a local log with key, value, headers and timestamp, plus
kafka.offset; killed at random moments and restarted, it ends with every
record once and in order; a shipped log imported back keeps null and empty
keys, values and header values and timestamps; --from chooses where a new
log starts."""
import json
import random
import signal
import subprocess
import time

from kafka_support import CLI, Cluster, append, dump, run, sample, ship

KILLS = 10


def imported_offset(record):
    (name, value), = [h for h in record["headers"] if h[0] == "kafka.offset"]
    return int.from_bytes(value, "big")


def imports(log, cluster, *args):
    return run("import", log, "--brokers", cluster.bootstraps, "--topic", "source", "--partition", "0", *args)


def test_import_resumes_after_kills_without_gap_or_duplicate(tmp_path):
    log = str(tmp_path / "copy")
    rng = random.Random(16)
    with Cluster() as cluster:
        cluster.topic("source", 2)
        cluster.command("produce source 0 30000")
        cluster.command("produce source 1 10")
        for _ in range(KILLS):
            importer = subprocess.Popen(
                [CLI, "import", log, "--brokers", cluster.bootstraps, "--topic", "source", "--partition", "0",
                 "--follow"], stderr=subprocess.PIPE)
            time.sleep(rng.uniform(0.05, 0.5))
            importer.send_signal(signal.SIGKILL)
            importer.wait()
        cluster.command("produce source 0 5000")
        result = imports(log, cluster, "--json")
        assert result.returncode == 0, result.stderr.decode()
        kafka = [m for m in cluster.read("source") if m["partition"] == 0]
    records = dump(log)
    assert [imported_offset(r) for r in records] == [m["offset"] for m in kafka]
    for r, m in zip(records, kafka):
        assert (r["key"], r["value"], r["timestamp"]) == (m["key"], m["value"], m["timestamp"])
        assert r["headers"] == m["headers"] + [("kafka.offset", m["offset"].to_bytes(8, "big"))]
    assert len(records) == 35000


def test_from_offset_latest_and_bad_partition(tmp_path):
    with Cluster() as cluster:
        cluster.topic("source", 1)
        cluster.command("produce source 0 100")
        result = imports(str(tmp_path / "from"), cluster, "--from", "90", "--json")
        assert json.loads(result.stdout)["imported"] == 10, result.stderr.decode()
        assert [imported_offset(r) for r in dump(str(tmp_path / "from"))] == list(range(90, 100))
        result = imports(str(tmp_path / "latest"), cluster, "--from", "latest", "--json")
        assert json.loads(result.stdout)["imported"] == 0, result.stderr.decode()
        result = run("import", str(tmp_path / "bad"), "--brokers", cluster.bootstraps, "--topic", "source",
                     "--partition", "3")
        assert result.returncode == 1 and b"partitions 0 to 0" in result.stderr, result.stderr


def test_ship_then_import_gives_the_log_back(tmp_path):
    source, copy = str(tmp_path / "source"), str(tmp_path / "copy")
    append(source, sample(3000))
    with Cluster() as cluster:
        cluster.topic("source", 1)
        assert ship(source, cluster, "source").returncode == 0
        result = imports(copy, cluster, "--json")
        assert json.loads(result.stdout)["imported"] == 3000, result.stderr.decode()
    for original, back in zip(dump(source), dump(copy), strict=True):
        assert imported_offset(back) == original["offset"] == back["offset"]
        assert (back["key"], back["value"], back["timestamp"]) == (
            original["key"], original["value"], original["timestamp"])
        offset = original["offset"].to_bytes(8, "big")
        assert back["headers"] == original["headers"] + [("eventlog.offset", offset), ("kafka.offset", offset)]
