# SPDX-License-Identifier: Apache-2.0
"""Resume after a lost connection: a follower that drops its connection at
random hundreds of times while a producer appends 1 M records, reconnecting
with from=<last offset + 1>, and a consumer on a named cursor with acks
while the server is killed (SIGKILL) and restarted: every record arrives
exactly once, in order, byte-identical."""
import asyncio
import json
import os
import random
import signal
import threading

import websockets

from serve_support import Producer, Server, make_log, received_value, temporary_root, value

RECORDS = 1_000_000


def produce_in_background(path, first, count):
    producer = Producer(path, first, count)
    thread = threading.Thread(target=producer.run)
    thread.start()
    return thread


async def follow_with_chaos(server, name, total, rng):
    expected, reconnects, identity = 0, 0, None
    while expected < total:
        url = server.ws(f"/v1/logs/{name}/stream?from={expected}")
        async with websockets.connect(url, max_size=None, ping_interval=None) as ws:
            hello = json.loads(await ws.recv())
            assert hello["type"] == "hello" and hello["from"] == expected, hello
            identity = identity or hello["id"]
            assert hello["id"] == identity, "the same log must keep its identity"
            # The connection is lost after a random number of records, in
            # the middle of a frame as often as not.
            budget = rng.randint(1, 6000)
            while expected < total and budget > 0:
                message = json.loads(await ws.recv())
                assert message["type"] == "records", message
                for record in message["records"][:budget]:
                    assert record["offset"] == expected, (record["offset"], expected)
                    assert received_value(record) == value(expected), record
                    expected += 1
                budget -= len(message["records"])
            if expected < total:
                reconnects += 1
                if rng.random() < 0.5:
                    ws.transport.abort()  # no close handshake: as a lost network
    return reconnects


def test_chaos_follower_gets_every_record_once():
    rng = random.Random(17)
    with temporary_root() as root:
        path = make_log(root, "events", 1000)
        with Server(root) as server:
            producer = produce_in_background(path, 1000, RECORDS - 1000)
            reconnects = asyncio.run(follow_with_chaos(server, "events", RECORDS, rng))
            producer.join()
        assert reconnects >= 200, reconnects


async def consume_with_acks(server, name, total, kills):
    """Applies a record only once its ack is confirmed (by an "acked" reply,
    or by the next hello's "from" when the reply was lost), so what it
    applied is exactly what the named cursor committed; records whose ack
    was not committed when the connection died come again."""
    applied, killed, reconnects = 0, 0, 0
    thresholds = [total * (k + 1) // (kills + 1) for k in range(kills)]
    pending = []

    def apply_through(last):
        nonlocal applied
        while pending and pending[0]["offset"] <= last:
            record = pending.pop(0)
            assert record["offset"] == applied, (record["offset"], applied)
            assert received_value(record) == value(applied)
            applied += 1

    while applied < total:
        try:
            url = server.ws(f"/v1/logs/{name}/stream?cursor=consumer")
            async with websockets.connect(url, max_size=None, ping_interval=None) as ws:
                hello = json.loads(await ws.recv())
                # An ack whose reply the lost connection swallowed may have
                # been committed: the hello says where the cursor stands.
                apply_through(hello["from"] - 1)
                pending.clear()
                assert hello["from"] == applied, (hello, applied)
                while applied < total:
                    message = json.loads(await ws.recv())
                    if message["type"] == "records":
                        pending += message["records"]
                        await ws.send(json.dumps({"ack": message["records"][-1]["offset"]}))
                    elif message["type"] == "acked":
                        apply_through(message["offset"])
                        if thresholds and applied >= thresholds[0]:
                            thresholds.pop(0)
                            server.restart(signal.SIGKILL)
                            killed += 1
                    else:
                        raise AssertionError(message)
        except (websockets.ConnectionClosed, OSError):
            reconnects += 1
    return killed


def test_named_cursor_survives_server_kills():
    total = 100_000
    with temporary_root() as root:
        path = make_log(root, "orders", 1000)
        with Server(root) as server:
            producer = produce_in_background(path, 1000, total - 1000)
            killed = asyncio.run(consume_with_acks(server, "orders", total, kills=5))
            producer.join()
            assert killed == 5
            # The committed position is where the consumer stopped.
            async def position():
                async with websockets.connect(server.ws("/v1/logs/orders/stream?cursor=consumer")) as ws:
                    return json.loads(await ws.recv())["from"]
            assert asyncio.run(position()) == total
