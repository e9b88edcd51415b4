# SPDX-License-Identifier: Apache-2.0
"""Many followers and stalled ones: 1,000 concurrent WebSocket followers of
one log all receive every record; 10 clients that never read cost the
server bounded memory, are cut off after the stall limit, and a healthy
follower beside them still gets everything; the same for Server-Sent Events
clients that never read."""
import asyncio
import base64
import http.client
import json
import os
import socket
import threading

import websockets

from serve_support import Producer, Server, make_log, received_value, temporary_root, value, wait_until

FOLLOWERS = 1000
RECORDS = 2000


async def follow(url, first, count, ready, sizes=None):
    async with websockets.connect(url, max_size=None, ping_interval=None, open_timeout=60) as ws:
        hello = json.loads(await ws.recv())
        assert hello["from"] == first
        ready()
        expected = first
        while expected < first + count:
            frame = await ws.recv()
            if sizes is not None:
                sizes.append(len(frame))
            for record in json.loads(frame)["records"]:
                assert record["offset"] == expected
                assert received_value(record) == value(expected)
                expected += 1
        return expected - first


async def thousand_followers(server, path):
    connected = 0
    all_ready = asyncio.Event()

    def ready():
        nonlocal connected
        connected += 1
        if connected == FOLLOWERS:
            all_ready.set()

    url = server.ws("/v1/logs/events/stream?from=1")
    # Connect in bounded groups so the listen backlog never overflows.
    tasks = []
    for group in range(0, FOLLOWERS, 100):
        tasks += [asyncio.create_task(follow(url, 1, RECORDS, ready)) for _ in range(100)]
        while connected < group + 100:
            await asyncio.sleep(0.01)
    await asyncio.wait_for(all_ready.wait(), 60)
    producer = threading.Thread(target=Producer(path, 1, RECORDS).run)
    producer.start()
    counts = await asyncio.wait_for(asyncio.gather(*tasks), 120)
    producer.join()
    return counts


def test_thousand_followers_receive_everything():
    with temporary_root() as root:
        path = make_log(root, "events", 1)
        with Server(root, "--max-connections-per-client", str(FOLLOWERS + 10)) as server:
            counts = asyncio.run(thousand_followers(server, path))
            assert counts == [RECORDS] * FOLLOWERS


def stalled_client(port, path):
    """A WebSocket client that completes the handshake and never reads."""
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect(("127.0.0.1", port))
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall(
        (f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
    return s


def closed_by_peer(s):
    """Whether the server ended this connection (reset: the socket is no
    longer ESTABLISHED, state 01 in /proc/net/tcp), without reading from it."""
    port = "%04X" % s.getsockname()[1]
    with open("/proc/net/tcp") as table:
        for line in table.readlines()[1:]:
            fields = line.split()
            if fields[1].endswith(":" + port):
                return fields[3] != "01"
    return True


def read_to_end(s):
    total = 0
    s.settimeout(60)
    while True:
        try:
            chunk = s.recv(1 << 16)
        except ConnectionResetError:
            return total
        if not chunk:
            return total
        total += len(chunk)


STALLED = 10
BACKLOG = 200_000


def check_stalled_clients(connect, read_backlog, what):
    """STALLED clients made by `connect(port)` never read a backlog of
    BACKLOG records while a healthy one beside them reads all of it
    (`read_backlog(server)`, which returns its size in bytes)."""
    with temporary_root() as root:
        make_log(root, "events", BACKLOG)
        with Server(root, "--stall-seconds", "2") as server:
            before = server.rss_kib()
            stalled = [connect(server.port) for _ in range(STALLED)]
            backlog_bytes = read_backlog(server)
            peak = server.rss_kib()
            wait_until(lambda: all(closed_by_peer(s) for s in stalled), timeout=60,
                       what=f"the server cutting the stalled {what} off")
            # Each stalled client is cut off: its socket ends having received
            # far less than the backlog (the server stopped reading the log
            # for it instead of buffering), and the server goes on serving.
            received = [read_to_end(s) for s in stalled]
            for s in stalled:
                s.close()
            assert all(r < backlog_bytes / 2 for r in received), (received, backlog_bytes)
            status, _ = server.get("/v1/logs")
            assert status == 200
        growth_mib = (peak - before) / 1024
        print(f"RSS before {before} KiB, with {STALLED} stalled {what} {peak} KiB (+{growth_mib:.1f} MiB); "
              f"bytes each stalled client received: {max(received)} at most, backlog {backlog_bytes}")
        # Docs/SERVE.md: at most about 2 MiB per stalled connection.
        assert growth_mib < 32 + 2 * STALLED, growth_mib


def test_stalled_clients_cost_bounded_memory_and_are_cut_off():
    def read_backlog(server):
        # A healthy follower beside them gets the whole backlog.
        sizes = []
        got = asyncio.run(follow(server.ws("/v1/logs/events/stream?from=0"), 0, BACKLOG, lambda: None, sizes))
        assert got == BACKLOG
        return sum(sizes)

    check_stalled_clients(lambda port: stalled_client(port, "/v1/logs/events/stream?from=0"), read_backlog, "clients")


def stalled_event_stream(port, path):
    """A Server-Sent Events client that sends its request and never reads."""
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect(("127.0.0.1", port))
    s.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n".encode())
    return s


def read_event_stream(port, path, last_offset):
    """Reads an event stream up to the event of `last_offset`; returns the
    offsets in order and the bytes of the events."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    connection.request("GET", path)
    response = connection.getresponse()
    assert response.status == 200
    offsets, size = [], 0
    while not offsets or offsets[-1] < last_offset:
        line = response.readline()
        assert line, "the event stream ended early"
        size += len(line)
        if line.startswith(b"id: "):
            offsets.append(int(line[4:]))
    connection.close()
    return offsets, size


def test_stalled_event_streams_cost_bounded_memory_and_are_cut_off():
    def read_backlog(server):
        # A healthy reader beside them gets every event, in order.
        offsets, size = read_event_stream(server.port, "/v1/logs/events/events?from=0", BACKLOG - 1)
        assert offsets == list(range(BACKLOG))
        return size

    check_stalled_clients(lambda port: stalled_event_stream(port, "/v1/logs/events/events?from=0"), read_backlog,
                          "event streams")
