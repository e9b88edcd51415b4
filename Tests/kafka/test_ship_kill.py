# SPDX-License-Identifier: Apache-2.0
"""Exactly once across SIGKILL: `eventlog ship --follow` killed at random
moments while a writer appends, restarted each time; afterwards every record
is in Kafka once, in order within its partition."""
import json
import random
import signal
import subprocess
import threading
import time

from kafka_support import CLI, Cluster, append, check_exactly_once, follow, ship

KILLS = 25


def test_kill_loop_while_appending(tmp_path):
    log = str(tmp_path / "log")
    append(log, ({"key": None if i % 4 == 0 else b"key-%d" % (i % 313), "value": b"x%d" % i} for i in range(5000)))
    writer = subprocess.Popen([CLI, "append", log, "--json", "--batch", "200"], stdin=subprocess.PIPE)
    stop = threading.Event()

    def write():
        i = 5000
        while not stop.is_set():
            lines = "".join(
                json.dumps({"key": None if j % 4 == 0 else "key-%d" % (j % 313), "value": "y%d" % j}) + "\n"
                for j in range(i, i + 200))
            writer.stdin.write(lines.encode())
            writer.stdin.flush()
            i += 200
            time.sleep(0.01)

    feeder = threading.Thread(target=write)
    rng = random.Random(16)
    with Cluster() as cluster:
        cluster.topic("kills", 3)
        feeder.start()
        try:
            for _ in range(KILLS):
                follower = follow(log, cluster, "kills")
                time.sleep(rng.uniform(0.02, 0.6))
                follower.send_signal(signal.SIGKILL)
                follower.wait()
                assert follower.returncode == -signal.SIGKILL, follower.stderr.read()
        finally:
            stop.set()
            feeder.join()
            writer.stdin.close()
            writer.wait()
        result = ship(log, cluster, "kills", "--json")
        assert result.returncode == 0, result.stderr.decode()
        assert check_exactly_once(cluster, "kills", log, 3) > 5000
