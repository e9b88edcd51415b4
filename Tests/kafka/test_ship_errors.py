# SPDX-License-Identifier: Apache-2.0
"""`eventlog ship` and `import` on bad input: clear messages and exit codes
(1 failure, 2 usage), and an unreachable cluster reported in bounded time."""
import socket
import time

from kafka_support import Cluster, append, run, ship


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_brokers_fail_in_bounded_time(tmp_path):
    log = str(tmp_path / "log")
    append(log, [{"key": b"k", "value": b"v"}])
    brokers = f"127.0.0.1:{free_port()}"
    for command in (["ship", log], ["import", str(tmp_path / "copy"), "--partition", "0"]):
        started = time.monotonic()
        result = run(*command, "--brokers", brokers, "--topic", "t", "-X", "socket.timeout.ms=2000", timeout=60)
        elapsed = time.monotonic() - started
        assert result.returncode == 1, result
        assert b"no answer within 2000 ms" in result.stderr, result.stderr
        assert elapsed < 10, elapsed


def test_unknown_topic_missing_log_bad_cursor_bad_setting(tmp_path):
    log = str(tmp_path / "log")
    append(log, [{"key": b"k", "value": b"v"}])
    with Cluster() as cluster:
        cluster.topic("t", 2)
        result = ship(log, cluster, "absent")
        assert result.returncode == 1 and b"topic absent: not in the cluster" in result.stderr, result.stderr
        result = run("import", str(tmp_path / "copy"), "--brokers", cluster.bootstraps, "--topic", "absent",
                     "--partition", "0")
        assert result.returncode == 1 and b"topic absent: not in the cluster" in result.stderr, result.stderr

        result = ship(str(tmp_path / "no-such-log"), cluster, "t")
        assert result.returncode == 1 and b"no-such-log" in result.stderr, result.stderr

        result = ship(log, cluster, "t", "--cursor", "../escape")
        assert result.returncode == 2 and b"--cursor" in result.stderr, result.stderr

        result = ship(log, cluster, "t", "--partition", "7")
        assert result.returncode == 1 and b"partitions 0 to 1" in result.stderr, result.stderr

        result = ship(log, cluster, "t", "-X", "no.such.setting=1")
        assert result.returncode == 1 and b"no.such.setting" in result.stderr, result.stderr
        result = ship(log, cluster, "t", "-X", "novalue")
        assert result.returncode == 2, result.stderr
