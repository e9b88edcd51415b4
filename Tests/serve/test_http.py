# SPDX-License-Identifier: Apache-2.0
"""The plain HTTP face, Server-Sent Events, the hello's identity and the
truncation notice, publishing, shutdown, and `eventlog serve`."""
import asyncio
import contextlib
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import threading
import urllib.error

import pytest
import websockets

from serve_support import (CLI, Producer, Server, make_log, make_segmented_log, raw_stream, received_value,
                           record_line, temporary_root, value)


def test_list_read_and_append():
    with temporary_root() as root:
        make_log(root, "events", 5)
        make_log(os.path.join(root, "team"), "orders", 2)
        with Server(root, "--allow-append") as server:
            logs = json.loads(server.get("/v1/logs")[1])["logs"]
            assert [(l["name"], l["start_offset"], l["end_offset"]) for l in logs] == [
                ("events", 0, 5), ("team/orders", 0, 2)]
            assert all(l["size_bytes"] > 0 for l in logs)
            lines = server.get("/v1/logs/events/records?from=3&limit=1")[1].decode().splitlines()
            assert [json.loads(l)["offset"] for l in lines] == [3]
            status, reply = server.post("/v1/logs/events/records?sync=1", (record_line(5) + "\n" + record_line(6) + "\n").encode())
            assert reply == {"first_offset": 5, "last_offset": 6, "count": 2}
            # A new log is created by its first append.
            status, reply = server.post("/v1/logs/team/new/records", b'{"value":"first"}\n')
            assert reply["first_offset"] == 0
            assert json.loads(server.get("/v1/logs/team/new/records")[1])["value"] == "first"


def read_events(port, path, headers, count):
    """The ids and data of the first `count` events of an SSE stream."""
    with socket.create_connection(("127.0.0.1", port)) as s:
        extra = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\n{extra}\r\n".encode())
        s.settimeout(30)
        data, events = b"", []
        while len(events) < count:
            data += s.recv(65536)
            events = [e for e in data.split(b"\n\n") if b"data: " in e]
        ids = []
        for event in events[:count]:
            fields = dict(line.split(": ", 1) for line in event.decode().splitlines() if ": " in line)
            ids.append((int(fields["id"]), json.loads(fields["data"])["offset"]))
        return ids


def open_events(port, path):
    """An SSE stream (its body read through http.client, which takes the
    chunked encoding off) whose position is set: the server sent its first
    bytes."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", path)
    response = connection.getresponse()
    assert response.status == 200
    data = b""
    while b"retry: 1000\n\n" not in data:
        data += response.read1(65536)
    return connection, response, data.split(b"retry: 1000\n\n", 1)[1]


def follow_events(stream, last, into):
    """Reads (id, record) pairs until the event with id `last`."""
    connection, response, data = stream
    with contextlib.closing(connection):
        while not into or into[-1][0] != last:
            more = response.read1(65536)
            if not more:
                return
            data += more
            *events, data = data.split(b"\n\n")
            for event in events:
                fields = dict(line.split(": ", 1) for line in event.decode().splitlines() if ": " in line)
                if "id" in fields:
                    into.append((int(fields["id"]), json.loads(fields["data"])))


def test_server_sent_events_follow_appends_live():
    """Streams at the live end get what the server encoded once for all of
    them, and one that starts behind catches up into it: each gets every
    record once, in order, with its bytes, while another process appends."""
    with temporary_root() as root:
        path = make_log(root, "events", 20)
        total = 20 + 20_000
        with Server(root) as server:
            queries = ["", "", "?from=0"]
            received = [[] for _ in queries]
            streams = [open_events(server.port, "/v1/logs/events/events" + q) for q in queries]
            readers = [threading.Thread(target=follow_events, args=(stream, total - 1, into), daemon=True)
                       for stream, into in zip(streams, received)]
            for reader in readers:
                reader.start()
            Producer(path, 20, total - 20).run()
            for reader in readers:
                reader.join(timeout=120)
        for query, events in zip(queries, received):
            first = 0 if query else 20
            assert [id for id, _ in events] == list(range(first, total)), query
            assert all(record["offset"] == id and received_value(record) == value(id) for id, record in events)


def test_server_sent_events_resume_with_last_event_id():
    with temporary_root() as root:
        make_log(root, "events", 20)
        with Server(root) as server:
            assert read_events(server.port, "/v1/logs/events/events?from=0", {}, 3) == [(0, 0), (1, 1), (2, 2)]
            # A browser that saw event 12 reconnects with Last-Event-ID: 12.
            assert read_events(server.port, "/v1/logs/events/events", {"Last-Event-ID": "12"}, 2) == [(13, 13), (14, 14)]
            # Resuming after the last event is a stream that waits for the next.
            connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
            connection.request("GET", "/v1/logs/events/events", headers={"Last-Event-ID": "19"})
            assert connection.getresponse().status == 200
            connection.close()
            # An id beyond the end is from another log (the directory was
            # replaced): refused with 416, which makes EventSource stop
            # instead of waiting, silently, for offsets that may never come.
            for query, headers, named in [("", {"Last-Event-ID": "20"}, "Last-Event-ID 20"),
                                          ("?from=21", {}, "from=21")]:
                with pytest.raises(urllib.error.HTTPError) as refused:
                    server.get("/v1/logs/events/events" + query, headers)
                assert refused.value.code == 416
                assert f"{named} is beyond the end of the log (20)" in refused.value.read().decode()


async def hello(server, query=""):
    async with websockets.connect(server.ws(f"/v1/logs/events/stream{query}")) as ws:
        return json.loads(await ws.recv()), ws


def test_identity_changes_when_the_log_is_recreated():
    with temporary_root() as root:
        path = make_log(root, "events", 3)
        with Server(root) as server:
            first, _ = asyncio.run(hello(server))
            again, _ = asyncio.run(hello(server))
            assert first["id"] == again["id"] and first["end_offset"] == 3
        shutil.rmtree(path)
        make_log(root, "events", 3)
        with Server(root) as server:
            recreated, _ = asyncio.run(hello(server))
            assert recreated["id"] != first["id"]


def test_offsets_removed_by_retention_are_announced():
    with temporary_root() as root:
        path = os.path.join(root, "events")
        # Small segments, so that retention removes some.
        make_segmented_log(path, 0, 3000)
        subprocess.run([CLI, "retention", path, "--retention-bytes", "1"], check=True, capture_output=True)
        with Server(root) as server:
            async def truncated():
                async with websockets.connect(server.ws("/v1/logs/events/stream?from=0")) as ws:
                    hello = json.loads(await ws.recv())
                    notice = json.loads(await ws.recv())
                    first = json.loads(await ws.recv())["records"][0]["offset"]
                    return hello, notice, first
            hello, notice, first = asyncio.run(truncated())
            assert hello["start_offset"] > 0
            assert notice["type"] == "truncated" and notice["start_offset"] == hello["start_offset"]
            assert first == hello["start_offset"]
            # A batch read from there starts at the oldest record too.
            status, body = server.get("/v1/logs/events/records?from=0&limit=1")
            assert status == 200 and json.loads(body)["offset"] == hello["start_offset"]


def test_retention_under_a_stream_behind_tells_it_what_it_lost():
    # A stream far behind reads segments that retention deletes under it.
    # Its cursor finding its next segment gone was taken for the log
    # directory gone: the log was closed under every stream of it, and a
    # follower at the live end lost its stream and the records after. Then
    # the stream behind was ended (4500). Now it gets a `truncated` message
    # naming the offsets it lost and goes on from the log's new start; the
    # follower at the live end is untouched.
    with temporary_root() as root:
        path = os.path.join(root, "events")
        make_segmented_log(path, 0, 60_000)
        with Server(root) as server:
            async def run():
                behind = await websockets.connect(
                    server.ws("/v1/logs/events/stream?from=0"), max_size=None, ping_interval=None, max_queue=1)
                live = await websockets.connect(server.ws("/v1/logs/events/stream"), max_size=None,
                                                ping_interval=None)
                json.loads(await behind.recv())
                json.loads(await live.recv())
                expected = len(json.loads(await behind.recv())["records"])
                # The server reads for `behind` only as its socket drains: far behind the end.
                subprocess.run([CLI, "retention", path, "--retention-bytes", "200000"], check=True,
                               capture_output=True)
                # Every record comes in order, and every jump over deleted
                # ones is announced: one notice, or more when the stream
                # caught up with retention while it was still deleting.
                notices = []
                while expected < 60_000:
                    message = json.loads(await behind.recv())
                    if message.get("type") == "truncated":
                        assert message["requested"] == expected < message["start_offset"], message
                        notices.append(message)
                        expected = message["start_offset"]
                        continue
                    offsets = [r["offset"] for r in message["records"]]
                    assert offsets == list(range(expected, expected + len(offsets)))
                    expected += len(offsets)
                assert notices and expected == 60_000
                make_segmented_log(path, 60_000, 1000)
                for stream in (live, behind):
                    got = []
                    while len(got) < 1000:
                        got += [r["offset"] for r in json.loads(await stream.recv())["records"]]
                    assert got == list(range(60_000, 61_000))
                await live.close()
                await behind.close()
                lost = notices[0]["requested"]
                async with websockets.connect(server.ws(f"/v1/logs/events/stream?from={lost}")) as again:
                    hello = json.loads(await again.recv())
                    notice = json.loads(await again.recv())
                    assert notice == {**notice, "type": "truncated", "requested": lost,
                                      "start_offset": hello["start_offset"]}
            asyncio.run(run())


def test_server_sent_events_tell_what_retention_removed():
    # An event stream far behind, whose next records retention deletes,
    # went on after a silent gap (a reconnect after the error it met
    # started at the oldest record). Now a `truncated` event (no id) names
    # what it lost and the stream goes on from the log's new start; a
    # request for an offset already removed starts with the same event.
    with temporary_root() as root:
        path = os.path.join(root, "events")
        make_segmented_log(path, 0, 60_000)
        with Server(root) as server:
            connection, response, data = open_events(server.port, "/v1/logs/events/events?from=0")
            with contextlib.closing(connection):
                # The server writes for this stream only as the client reads: far behind the end.
                subprocess.run([CLI, "retention", path, "--retention-bytes", "200000"], check=True,
                               capture_output=True)
                expected, notices = 0, []
                while expected < 60_000:
                    more = response.read1(65536)
                    assert more, f"the stream ended before offset {expected}"
                    data += more
                    *events, data = data.split(b"\n\n")
                    for event in events:
                        fields = dict(line.split(": ", 1) for line in event.decode().splitlines() if ": " in line)
                        if fields.get("event") == "truncated":
                            notice = json.loads(fields["data"])
                            assert notice["requested"] == expected < notice["start_offset"], notice
                            assert "id" not in fields
                            notices.append(notice)
                            expected = notice["start_offset"]
                        elif "id" in fields:
                            assert int(fields["id"]) == expected == json.loads(fields["data"])["offset"]
                            expected += 1
                assert notices
            start = notices[-1]["start_offset"]
            for query, headers, requested in [("?from=5", {}, 5), ("", {"Last-Event-ID": "6"}, 7)]:
                connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
                with contextlib.closing(connection):
                    connection.request("GET", "/v1/logs/events/events" + query, headers=headers)
                    response = connection.getresponse()
                    data = b""
                    while data.count(b"\n\n") < 3:
                        data += response.read1(65536)
                    retry, truncated, first = data.decode().split("\n\n")[:3]
                    assert truncated.startswith("event: truncated\ndata: ")
                    notice = json.loads(truncated.split("data: ", 1)[1])
                    assert (notice["requested"], notice["start_offset"]) == (requested, start)
                    assert first.startswith(f"id: {start}\n")


def test_names_a_url_must_escape_are_served_on_every_endpoint():
    # The WebSocket route took the name as escaped in the URL ("plain%20log"),
    # the HTTP routes decoded it: such logs could be read but not streamed,
    # and the live page, which escapes each component, could not show them.
    with temporary_root() as root:
        make_log(root, "plain log", 3)
        make_log(os.path.join(root, "team"), "ordres é", 3)
        with Server(root) as server:
            async def first_records(path):
                async with websockets.connect(server.ws(f"/v1/logs/{path}/stream?from=0")) as ws:
                    hello = json.loads(await ws.recv())
                    return hello["log"], [r["offset"] for r in json.loads(await ws.recv())["records"]]
            for name, path in [("plain log", "plain%20log"), ("team/ordres é", "team/ordres%20%C3%A9"),
                               ("team/ordres é", "team%2Fordres%20%C3%A9")]:
                assert asyncio.run(first_records(path)) == (name, [0, 1, 2])
                assert server.get(f"/v1/logs/{path}/records")[1].count(b"\n") == 3
            # Escapes that are not UTF-8 name no log: refused, not taken as written.
            with pytest.raises(urllib.error.HTTPError) as refused:
                server.get("/v1/logs/plain%C3/records")
            assert refused.value.code == 400 and b"percent-encoded" in refused.value.read()


def test_sigterm_closes_streams_with_a_close_frame():
    with temporary_root() as root:
        make_log(root, "events", 3)
        server = Server(root)
        async def follow():
            async with websockets.connect(server.ws("/v1/logs/events/stream?from=0")) as ws:
                await ws.recv()
                await ws.recv()
                server.process.send_signal(signal.SIGTERM)
                try:
                    await ws.recv()
                except websockets.ConnectionClosed as closed:
                    return closed.rcvd.code if closed.rcvd else None
        assert asyncio.run(follow()) in (1000, 1001)
        assert server.process.wait(timeout=30) == 0


def test_sigterm_does_not_wait_for_a_client_that_never_answers():
    # A stream whose client reads nothing and never answers the close
    # frame: the server used to wait for it for ever instead of exiting.
    with temporary_root() as root:
        make_log(root, "events", 3)
        server = Server(root)
        with raw_stream(server.port):
            server.process.send_signal(signal.SIGTERM)
            try:
                # The close timeout is 5 s; the bound leaves room for a loaded machine.
                assert server.process.wait(timeout=30) == 0
            finally:
                server.process.kill()


def test_eventlog_serve_runs_the_server():
    with temporary_root() as root:
        run = subprocess.run([CLI, "serve", root, "--listen", "example.invalid:1"], capture_output=True, text=True)
        assert run.returncode == 2 and "requires --token-file" in run.stderr
