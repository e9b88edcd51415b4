# SPDX-License-Identifier: Apache-2.0
"""Ship and import throughput on librdkafka's mock cluster (loopback), each
beside its ceiling measured in the same run on the same records: a plain
librdkafka producer with ship's default settings, and a plain read_committed
consumer of the same partition.

    python3 bench/kafka_bench.py BUILD_DIR [--records N] [--runs R]

BUILD_DIR is a CMake build with the CLI and Tests/kafka (build/). Prints one
line per run and the medians; not part of the test suite."""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

parser = argparse.ArgumentParser()
parser.add_argument("build")
parser.add_argument("--records", type=int, default=500_000)
parser.add_argument("--runs", type=int, default=3)
args = parser.parse_args()
build = os.path.abspath(args.build)
os.environ["EVENTLOG_CLI"] = os.path.join(build, "eventlog")
os.environ["MOCK_CLUSTER"] = os.path.join(build, "Tests", "kafka", "mock_cluster")
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "kafka"))
from kafka_support import Cluster, run  # noqa: E402


def bench_record(i):
    """The same records as mock_cluster.c's bench_record."""
    value = '{"seq":%d,"type":"click","page":"/item/%d","session":"%08x"}' % (
        i, (i * 7919) % 100000, (i * 2654435761) & 0xFFFFFFFF)
    return json.dumps({"key": "user-%d" % (i % 25000), "value": value.ljust(100)})


def summary(result):
    assert result.returncode == 0, result.stderr.decode()
    return json.loads(result.stdout)


rates = {name: [] for name in ("plain producer", "eventlog ship", "plain consumer", "eventlog import")}
with tempfile.TemporaryDirectory() as tmp:
    log = os.path.join(tmp, "log")
    lines = "\n".join(bench_record(i) for i in range(args.records)) + "\n"
    assert run("append", log, "--json", "--batch", "4096", input=lines.encode()).returncode == 0
    for r in range(args.runs):
        with Cluster() as cluster:
            cluster.topic("plain", 3)
            cluster.topic("shipped", 3)
            (seconds,) = cluster.command(f"bench-produce plain {args.records}")
            rates["plain producer"].append(args.records / float(seconds))
            shipped = summary(run("ship", log, "--brokers", cluster.bootstraps, "--topic", "shipped", "--json",
                                  "--cursor", f"bench-{r}"))
            rates["eventlog ship"].append(shipped["shipped"] / shipped["seconds"])
            count, seconds = cluster.command("bench-consume plain 0")
            rates["plain consumer"].append(int(count) / float(seconds))
            copy = os.path.join(tmp, f"copy-{r}")
            imported = summary(run("import", copy, "--brokers", cluster.bootstraps, "--topic", "plain",
                                   "--partition", "0", "--json"))
            assert imported["imported"] == int(count)
            rates["eventlog import"].append(imported["imported"] / imported["seconds"])
        print(f"run {r + 1}: " + ", ".join(f"{name} {values[-1]:,.0f}/s" for name, values in rates.items()))

median = {name: statistics.median(values) for name, values in rates.items()}
print(f"\n{args.records:,} records of 100 B (16-byte keys) to 3 partitions; import reads partition 0; "
      f"median of {args.runs} runs, records/s")
for name, value in median.items():
    print(f"  {name:16} {value:12,.0f}")
print(f"  ship / plain producer   {median['eventlog ship'] / median['plain producer']:.2f}")
print(f"  import / plain consumer {median['eventlog import'] / median['plain consumer']:.2f}")
