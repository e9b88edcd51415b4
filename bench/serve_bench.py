#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""eventlog-serve on loopback, in one run:
  1. records/s to one WebSocket client: 1 M records of 100 bytes, binary
     frames (batched), from offset 0, beside the ceiling: serve-echo sending
     the same frames from memory (Hummingbird/NIO, no log);
  2. append -> receipt latency at 10 k records/s with 100 followers: the
     producer (`eventlog append`, fed at a steady rate) stamps each record
     with the wall clock; each follower reads the stamp of the first record
     of every frame (the oldest in it) when the frame arrives.
With a fourth argument, the followers are that program: serve_followers
(bench/serve_followers.c, built beside eventlog_bench: WebSocket clients on
one epoll loop in C, the cheapest, so that on 2 cores the figure is the
server's) or serve-latency (clients on SwiftNIO, in one process; they took
about 0.8 of a core at 100 followers); both print the same JSON. Without
it they are Python (websockets) in one process, which on 2 cores sets the
figure at 100 clients itself. Each run also gives the server's CPU time
per frame sent ("server_us_per_frame"), which depends less than latency on
what else runs on the machine. SERVE_BENCH_CLIENTS sets the number of followers,
SERVE_BENCH_LATENCY_RUNS how many latency runs (each on a fresh server; the
figures of each are printed, and the medians of their p50 and p99), and
SERVE_BENCH_SKIP_THROUGHPUT=1 leaves the throughput run out. serve-latency
also says how many followers' connections ended before the run's time was
up ("ended_early"): any is a fault, not a slow run.
Usage: bench/serve_bench.py EVENTLOG EVENTLOG_SERVE SERVE_ECHO [FOLLOWERS]
(release builds: swift build -c release --package-path Serve --product
eventlog-serve, and --product serve-echo, --product serve-latency)"""
import asyncio
import json
import os
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

import websockets

CLI, SERVE, ECHO = sys.argv[1:4]
NATIVE = sys.argv[4] if len(sys.argv) > 4 else None
RECORDS = 1_000_000


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(args):
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    return process


async def count_records(url, total):
    got, start = 0, None
    async with websockets.connect(url, max_size=None, ping_interval=None) as ws:
        while got < total:
            frame = await ws.recv()
            if isinstance(frame, str):
                continue  # hello
            start = start or time.perf_counter()
            got += struct.unpack_from(">I", frame, 4)[0]
        return got / (time.perf_counter() - start)


def throughput(root):
    path = os.path.join(root, "bulk")
    producer = subprocess.Popen([CLI, "append", path, "--batch", "10000"], stdin=subprocess.PIPE)
    producer.communicate(b"".join(b"%099d\n" % i for i in range(RECORDS)))
    port = free_port()
    server = start([SERVE, root, "--listen", f"127.0.0.1:{port}"])
    server.stdout.readline()
    rate = asyncio.run(count_records(f"ws://127.0.0.1:{port}/v1/logs/bulk/stream?from=0&format=binary", RECORDS))
    server.terminate()
    server.wait()
    echo_port = free_port()
    echo = start([ECHO, str(echo_port), "4096"])
    time.sleep(1)  # serve-echo prints nothing; give it a moment to bind
    frames = RECORDS // 4096
    ceiling = asyncio.run(count_records(f"ws://127.0.0.1:{echo_port}/stream?frames={frames}", frames * 4096))
    echo.terminate()
    echo.wait()
    return rate, ceiling


async def follower(url, latencies, stop):
    async with websockets.connect(url, max_size=None, ping_interval=None) as ws:
        await ws.recv()
        while not stop.is_set():
            try:
                frame = await asyncio.wait_for(ws.recv(), 1)
            except asyncio.TimeoutError:
                continue
            now = time.time_ns()
            # kind, version, 0, count; offset, timestamp, key length (-1), value length, value
            value_length = struct.unpack_from(">i", frame, 28)[0]
            sent = int(frame[32:32 + value_length].split(b" ")[0])
            latencies.append((now - sent) / 1e6)


def latency(root, clients=100, rate=10_000, seconds=5):
    path = os.path.join(root, "live")
    subprocess.run([CLI, "append", path], input=b"0 start\n", check=True)
    port = free_port()
    server = start([SERVE, root, "--listen", f"127.0.0.1:{port}", "--max-connections-per-client", str(clients + 10)])
    server.stdout.readline()
    latencies, stop = [], threading.Event()

    def produce():
        producer = subprocess.Popen([CLI, "append", path, "--batch", "1000"], stdin=subprocess.PIPE)
        step = 0.001
        per_step = rate // 1000
        start = time.perf_counter()
        for tick in range(int(seconds / step)):
            target = start + tick * step
            delay = target - time.perf_counter()
            if delay > 0:
                time.sleep(delay)  # not a spin: the followers share this process
            stamp = time.time_ns()
            producer.stdin.write(b"".join(b"%d %s\n" % (stamp, b"x" * 60) for _ in range(per_step)))
            producer.stdin.flush()
        producer.stdin.close()
        producer.wait()
        stop.set()

    url = f"ws://127.0.0.1:{port}/v1/logs/live/stream?format=binary"
    if NATIVE:
        followers = subprocess.Popen([NATIVE, url, str(clients), str(seconds + 2)], stdout=subprocess.PIPE, text=True)
        time.sleep(1)  # let the followers connect and read their hello
        produce()
        output = followers.communicate()[0]
        try:
            result = json.loads(output)
        except ValueError:
            sys.exit(f"{NATIVE} printed no JSON result (exit status {followers.returncode}): {output[:500]!r}")
        server_cpu = cpu_seconds(server.pid)
        server.terminate()
        server.wait()
        return (result["latency_ms_p50"], result["latency_ms_p99"], result["latency_frames"], result["ended_early"],
                server_cpu)

    async def run():
        tasks = [asyncio.create_task(follower(url, latencies, stop)) for _ in range(clients)]
        await asyncio.sleep(1)
        thread = threading.Thread(target=produce)
        thread.start()
        await asyncio.gather(*tasks)
        thread.join()

    asyncio.run(run())
    server_cpu = cpu_seconds(server.pid)
    server.terminate()
    server.wait()
    latencies.sort()
    pick = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))]
    return pick(0.5), pick(0.99), len(latencies), None, server_cpu


def cpu_seconds(pid):
    """User plus system CPU time of a process so far (fields 14 and 15 of /proc/PID/stat)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def median(values):
    values = sorted(values)
    return values[len(values) // 2]


clients = int(os.environ.get("SERVE_BENCH_CLIENTS", "100"))
runs = int(os.environ.get("SERVE_BENCH_LATENCY_RUNS", "1"))
skip_throughput = os.environ.get("SERVE_BENCH_SKIP_THROUGHPUT") == "1"
with tempfile.TemporaryDirectory() as root:
    rate, ceiling = (None, None) if skip_throughput else throughput(root)
    latency_runs = []
    for run in range(runs):
        run_root = os.path.join(root, f"latency-{run}")
        os.makedirs(run_root)
        p50, p99, frames, ended_early, server_cpu = latency(run_root, clients=clients)
        # The server's CPU time per frame it sent: what the fan-out costs, and
        # less sensitive than latency to what else runs on the machine.
        latency_runs.append({"p50_ms": round(p50, 2), "p99_ms": round(p99, 2), "frames": frames,
                             "ended_early": ended_early, "server_cpu_s": round(server_cpu, 2),
                             "server_us_per_frame": round(server_cpu * 1e6 / max(frames, 1), 2)})
        print(json.dumps(latency_runs[-1]), file=sys.stderr)
print(json.dumps({
    "records_per_second_one_client": rate and round(rate), "echo_ceiling_records_per_second": ceiling and round(ceiling),
    "latency_ms_p50": median([r["p50_ms"] for r in latency_runs]),
    "latency_ms_p99": median([r["p99_ms"] for r in latency_runs]), "latency_runs": latency_runs,
    "clients": clients, "followers": "native" if NATIVE else "python", "append_rate": 10_000}, indent=1))
