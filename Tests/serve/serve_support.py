# SPDX-License-Identifier: Apache-2.0
"""What the serve tests share: an `eventlog-serve` process on a free loopback
port, a producer (`eventlog append --json` fed from Python), and the record
values the tests write and check byte for byte."""
import base64
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
import eventlog_ctypes  # noqa: E402

CLI = os.environ["EVENTLOG_CLI"]
SERVE = os.environ["EVENTLOG_SERVE"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """eventlog-serve ROOT on a loopback port, for the length of a `with` block."""

    def __init__(self, root, *args, port=None):
        self.root, self.args = root, list(args)
        self.port = port or free_port()
        self.process = None
        self.start()

    def start(self):
        self.process = subprocess.Popen(
            [SERVE, self.root, "--listen", f"127.0.0.1:{self.port}", *self.args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.process.stdout.readline()
        assert "listening on" in line, f"eventlog-serve did not start: {line}{self.process.stderr.read()}"

    def stop(self, sig=signal.SIGTERM):
        """Stops the server with `sig`; returns its exit status."""
        self.process.send_signal(sig)
        status = self.process.wait(timeout=30)
        self.process.stdout.close()
        self.process.stderr.close()
        return status

    def restart(self, sig=signal.SIGTERM):
        self.stop(sig)
        self.start()

    @property
    def http(self):
        return f"http://127.0.0.1:{self.port}"

    def ws(self, path):
        return f"ws://127.0.0.1:{self.port}{path}"

    def get(self, path, headers=None):
        request = urllib.request.Request(self.http + path, headers=headers or {})
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()

    def post(self, path, body):
        request = urllib.request.Request(self.http + path, data=body, method="POST")
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())

    def rss_kib(self):
        with open(f"/proc/{self.process.pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.process.poll() is None:
            self.stop()


def value(i):
    """Record i's value: text mostly, bytes that are not UTF-8 every 7th."""
    if i % 7 == 0:
        return bytes([0xFF, i & 0xFF, (i >> 8) & 0xFF]) + b"\x00bin"
    return f"record-{i:08d}-" .encode() + b"x" * (i % 13)


def record_line(i):
    v = value(i)
    try:
        return json.dumps({"key": f"k{i % 100}", "value": v.decode("utf-8")}, ensure_ascii=False)
    except UnicodeDecodeError:
        return json.dumps({"key": f"k{i % 100}", "value_b64": base64.b64encode(v).decode()})


def received_value(record):
    if "value_b64" in record:
        return base64.b64decode(record["value_b64"])
    return record["value"].encode()


class Producer:
    """`eventlog append LOG --json --batch 1000` writing records first..last."""

    def __init__(self, log, first, count):
        self.process = subprocess.Popen(
            [CLI, "append", log, "--json", "--batch", "1000"], stdin=subprocess.PIPE, stderr=subprocess.PIPE)
        self.first, self.count = first, count

    def run(self):
        chunk = []
        for i in range(self.first, self.first + self.count):
            chunk.append(record_line(i))
            if len(chunk) == 5000:
                self.process.stdin.write(("\n".join(chunk) + "\n").encode())
                chunk = []
        if chunk:
            self.process.stdin.write(("\n".join(chunk) + "\n").encode())
        self.process.stdin.close()
        assert self.process.wait(timeout=300) == 0, self.process.stderr.read()


def make_log(root, name, count):
    path = os.path.join(root, name)
    os.makedirs(root, exist_ok=True)
    Producer(path, 0, count).run()
    return path


def make_segmented_log(path, first, count, segment_bytes=64 << 10):
    """Appends records first..first+count-1 (value: the offset, then 200
    random hex digits, so that LZ4 cannot shrink them) through the library,
    in segments of `segment_bytes`, which `eventlog append` cannot choose:
    enough segments for retention to delete some under a reader."""
    log = eventlog_ctypes.Log(os.environ["EVENTLOG_LIBRARY"], path, segment_bytes)
    for i in range(first, first + count):
        assert log.append(f"{i}-{os.urandom(100).hex()}".encode()) == 0
    log.close()


def temporary_root():
    return tempfile.TemporaryDirectory(prefix="eventlog-serve-")


def wait_until(predicate, timeout=30, what="condition"):
    """Polls `predicate` (a test's observable state, not a timing guess)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def raw_stream(port, name="events"):
    """A socket upgraded to a WebSocket stream of log `name` by hand, past the
    server's hello: for clients a WebSocket library will not play (silent,
    malformed). The caller closes it."""
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(f"GET /v1/logs/{name}/stream HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n".encode()
              + b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
              + b"Sec-WebSocket-Version: 13\r\n\r\n")
    s.settimeout(10)
    data = b""
    while b"hello" not in data:
        data += s.recv(4096)
    return s
