# SPDX-License-Identifier: Apache-2.0
"""`eventlog ship` under broker faults injected by the mock cluster:
retriable Produce errors and a broker down for two seconds are retried and
still ship exactly once; brokers that stay down, or a refused authorisation,
end the ship with a clear error in bounded time, and the next run completes
it exactly once."""
import json
import signal
import time

from kafka_support import Cluster, append, check_exactly_once, follow, ship

PRODUCE = 0  # ApiKey
NOT_LEADER_FOR_PARTITION, REQUEST_TIMED_OUT, NOT_ENOUGH_REPLICAS = 6, 7, 19
TOPIC_AUTHORIZATION_FAILED = 29


def records(start, count):
    return ({"key": b"k%d" % (i % 101), "value": b"v%d" % i} for i in range(start, start + count))


def test_retriable_produce_errors_still_exactly_once(tmp_path):
    log = str(tmp_path / "log")
    append(log, records(0, 50000))
    with Cluster() as cluster:
        cluster.topic("faults", 3)
        codes = [NOT_LEADER_FOR_PARTITION, REQUEST_TIMED_OUT, NOT_ENOUGH_REPLICAS] * 4
        cluster.command(f"errors {PRODUCE} " + " ".join(map(str, codes)))
        result = ship(log, cluster, "faults", "--json", "-X", "linger.ms=1", "-X", "batch.num.messages=500")
        assert result.returncode == 0, result.stderr.decode()
        assert json.loads(result.stdout)["shipped"] == 50000
        assert check_exactly_once(cluster, "faults", log, 3) == 50000


def test_brokers_down_mid_ship_then_resume(tmp_path):
    log = str(tmp_path / "log")
    append(log, records(0, 2000))
    with Cluster() as cluster:
        cluster.topic("outage", 3)
        follower = follow(log, cluster, "outage", "-X", "message.timeout.ms=3000")
        time.sleep(1.5)
        for broker in (1, 2, 3):
            cluster.command(f"down {broker}")
        append(log, records(2000, 2000))
        started = time.monotonic()
        follower.wait(timeout=60)
        assert time.monotonic() - started < 20
        stderr = follower.stderr.read()
        assert follower.returncode == 1, stderr
        assert b"eventlog ship: topic outage, record" in stderr, stderr
        for broker in (1, 2, 3):
            cluster.command(f"up {broker}")
        result = ship(log, cluster, "outage", "--json")
        assert result.returncode == 0, result.stderr.decode()
        assert check_exactly_once(cluster, "outage", log, 3) == 4000


def test_authorisation_failure_is_reported_then_resumed(tmp_path):
    log = str(tmp_path / "log")
    append(log, records(0, 1000))
    with Cluster() as cluster:
        cluster.topic("secret", 1)
        cluster.command(f"errors {PRODUCE} {TOPIC_AUTHORIZATION_FAILED}")
        result = ship(log, cluster, "secret", timeout=60)
        assert result.returncode == 1, result.stderr.decode()
        assert b"not authorised" in result.stderr, result.stderr
        result = ship(log, cluster, "secret", "--json")
        assert result.returncode == 0, result.stderr.decode()
        assert check_exactly_once(cluster, "secret", log, 1) == 1000


def test_broker_down_briefly_is_retried(tmp_path):
    log = str(tmp_path / "log")
    append(log, records(0, 1000))
    with Cluster() as cluster:
        cluster.topic("blip", 3)
        follower = follow(log, cluster, "blip", "--json")
        time.sleep(1.5)
        cluster.command("down 2")
        append(log, records(1000, 1000))
        time.sleep(2)
        cluster.command("up 2")
        append(log, records(2000, 1000))
        time.sleep(3)
        follower.send_signal(signal.SIGTERM)
        out, err = follower.communicate(timeout=60)
        assert follower.returncode == 0, err.decode()
        assert json.loads(out)["shipped"] == 3000
        assert check_exactly_once(cluster, "blip", log, 3) == 3000
