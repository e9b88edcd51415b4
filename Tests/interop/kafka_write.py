#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Write a directory of Kafka log segments with kafka-python, for libeventlog to read.

What: builds 3 segments (base 0, then the next offsets) of RecordBatch v2
batches with kafka-python 3.0.12's MemoryRecordsBuilder: LZ4 and uncompressed
batches, null/empty keys and values, tombstones, headers with null values,
empty and non-ASCII keys, a value over 64 KiB (multi-block LZ4 frames, one
block stored raw), timestamps that step backwards inside a batch, a late batch
and a batch tying the maximum timestamp.  Base offsets are patched into bytes
0-7, partitionLeaderEpoch is patched to -1 or left 0.  Segment 1 has dense
.index/.timeindex files (an entry per batch), segment 2 has none, segment 3 (the
active one) has sparse Kafka-style ones (index.interval.bytes 4096, no final
time-index entry).  Output is a pure function of --seed.

Why: libeventlog must open, read-only, what Kafka tooling writes and return
exactly these records.  LZ4 framing (--lz4-framing): "mixed" (default) keeps
kafka-python's own frames (FLG 0x68, with content size, which Kafka accepts)
for some batches and re-frames the others exactly like Kafka's Java producer
(04 22 4d 18 60 40 82, CRC recomputed); "java" re-frames all of them, so the
output also passes kafka_read.py's default --lz4 strict; "kafka-python" keeps
all.  --compacted writes the log as Kafka's cleaner would leave it (offset gaps
inside and between batches, lastOffsetDelta > count-1, an empty batch, a
segment base below its first batch); read it with kafka_read.py --allow-gaps.

Usage: kafka_write.py DIR [--seed S] [--json OUT] [--lz4-framing MODE] [--compacted]
--json OUT writes the expected records in kafka_read.py's JSON-lines format.
Exit 0 and print a summary line; exit 1 with a message on failure.
"""

import argparse
import base64
import json
import os
import random
import re
import struct
import sys

PROG = "kafka_write.py"

try:
    import lz4.frame
    from crc32c import crc32c
    from kafka.record.memory_records import MemoryRecords, MemoryRecordsBuilder
except ImportError as exc:  # pragma: no cover - environment problem
    sys.stderr.write("%s: FAIL: missing Python package (%s); run: "
                     "pip install kafka-python==3.0.12 lz4 crc32c\n" % (PROG, exc))
    sys.exit(1)

HEADER = struct.Struct(">qiibIhiqqqhii")   # the 61-byte RecordBatch v2 header
JAVA_LZ4_HEADER = b"\x04\x22\x4d\x18\x60\x40\x82"
KAFKA_PYTHON_LZ4_FLG = 0x68
SEGMENT_RE = re.compile(r"^\d+\.(log|index|timeindex)$")


class WriteError(Exception):
    pass


# ---------------------------------------------------------------------------
# JSON lines (identical in kafka_read.py)

def _b64(data):
    return None if data is None else base64.b64encode(bytes(data)).decode("ascii")


def record_json(offset, timestamp, key, value, headers):
    return json.dumps({
        "offset": offset,
        "timestamp": timestamp,
        "key": _b64(key),
        "value": _b64(value),
        "headers": [[k, _b64(v)] for k, v in headers],
    })


# ---------------------------------------------------------------------------
# Deterministic content

WORDS = [b"click", b"view", b"user", b"page", b"home", b"cart", b"checkout", b"session",
         b"event", b"search", b"item", b"price", b"\"id\":", b"{", b"}", b"0", b"1", b"42"]


class Content:
    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.clock = 1700000000000 + self.rng.randint(0, 10 ** 9)
        self.max_ts = -1

    def ts(self, backwards=False):
        """Next timestamp: increasing, or (backwards=True) a little before the last one."""
        if backwards:
            return self.clock - self.rng.randint(1, 300)
        self.clock += self.rng.randint(1, 40)
        return self.clock

    def text(self, n):
        """n bytes of compressible text."""
        out = bytearray()
        while len(out) < n:
            out += self.rng.choice(WORDS) + b" "
        return bytes(out[:n])

    def noise(self, n):
        return self.rng.randbytes(n)

    def key(self):
        r = self.rng.random()
        if r < 0.15:
            return None
        if r < 0.25:
            return b""
        return b"user-%d" % self.rng.randint(0, 20)

    def headers(self):
        pool = [
            ("trace", b"%016x" % self.rng.getrandbits(64)),
            ("src", None),                       # null header value
            ("", b"empty-key"),                  # empty header key
            ("", None),
            ("content-type", b"application/json"),
            ("kl\u00fc\u0447-\u00fc", b"\x00\xff\x00"),   # non-ASCII UTF-8 key, binary value
            ("empty", b""),
        ]
        n = self.rng.choice([0, 0, 1, 2, 3])
        hs = self.rng.sample(pool, n)
        if n and self.rng.random() < 0.2:
            hs.append(hs[0])                     # duplicate header keys are legal
        return hs

    def record(self, value, backwards=False, key=False, headers=False):
        return (self.ts(backwards), self.key() if key is False else key, value,
                self.headers() if headers is False else headers)


def plan(c):
    """The batches: (codec, java_framed_in_mixed_mode, [(ts, key, value, headers)]), and segments."""
    B = []

    # --- segment 1: dense indexes ---------------------------------------
    recs = [c.record(c.text(c.rng.randint(20, 200))) for _ in range(20)]
    t0 = recs[0][0]
    recs[1] = (t0 - 5,) + recs[1][1:]            # negative timestampDelta right after the first record
    recs[7] = c.record(c.text(60), backwards=True)
    B.append(("lz4", True, recs))
    B.append(("none", False, [c.record(b"", key=None, headers=[])]))   # null key, empty value
    recs = []
    for i in range(25):
        value = None if i % 6 == 2 else c.text(c.rng.randint(40, 160))   # tombstones
        recs.append(c.record(value, backwards=(i == 11)))
    recs[4] = (recs[4][0], b"user-1", None, [("src", None), ("", None)])
    B.append(("lz4", False, recs))
    B.append(("none", False, [
        c.record(c.noise(300), key=b""),                                 # empty key
        c.record(None, key=b"user-3", headers=[("src", None)]),         # tombstone, null header value
        c.record(c.noise(50), headers=[("kl\u00fc\u0447-\u00fc", b""), ("", b"x")]),
        c.record(b"", key=b"", headers=[]),                             # empty key and value
        c.record(c.noise(120), backwards=True),
        c.record(c.noise(10)),
    ]))
    B.append(("lz4", True, [                     # multi-block Java frame, one block stored raw
        c.record(c.text(100 * 1024), key=b"big-1"),
        c.record(c.noise(130 * 1024), key=b"big-noise"),   # spans at least one whole 64 KiB block
        c.record(c.text(30 * 1024)),
        c.record(c.text(100), backwards=True),
        c.record(None, key=b"big-1"),
    ]))
    B.append(("lz4", False, [                    # multi-block kafka-python frame
        c.record(c.text(80 * 1024), key=b"big-2"),
        c.record(c.text(500)),
        c.record(c.text(10), backwards=True),
    ]))
    seg1 = list(range(len(B)))

    # --- segment 2: no index files --------------------------------------
    B.append(("none", False, [c.record(c.noise(70000) if i == 3 else c.text(c.rng.randint(0, 90)),
                                       backwards=(i == 5)) for i in range(8)]))      # > 64 KiB value
    recs = [c.record(c.text(c.rng.randint(10, 300)), backwards=(i % 13 == 5)) for i in range(40)]
    B.append(("lz4", True, recs))
    B.append(("lz4", False, [c.record(c.text(c.rng.randint(50, 150))) for _ in range(10)]))
    B.append(("none", False, [c.record(None, key=None, headers=[]) for _ in range(3)]))  # null key + null value
    seg2 = list(range(seg1[-1] + 1, len(B)))

    # --- segment 3: sparse indexes, active --------------------------------
    for i in range(12):
        n = c.rng.randint(4, 10)
        if i == 5:       # a late batch: every timestamp below the maximum so far
            top = c.clock
            recs = [(top - 2000 + 10 * j, c.key(), c.text(c.rng.randint(100, 400)), c.headers()) for j in range(n)]
        elif i == 8:     # ties the maximum so far: Kafka's time index keeps pointing at the earlier batch
            top = c.clock
            recs = [(top - 50 + j, c.key(), c.text(c.rng.randint(100, 400)), c.headers()) for j in range(n - 1)]
            recs.append((top, c.key(), c.text(200), c.headers()))
        else:
            recs = [c.record(c.text(c.rng.randint(100, 400)) if i % 2 == 0 else c.noise(c.rng.randint(50, 300)),
                             backwards=(j == 2)) for j in range(n)]
        B.append(("lz4" if i % 2 == 0 else "none", i % 4 == 0, recs))
    seg3 = list(range(seg2[-1] + 1, len(B)))

    segments = [(seg1, "dense", True), (seg2, None, True), (seg3, "sparse", False)]
    return B, segments


# ---------------------------------------------------------------------------
# Batches

def fix_crc(buf):
    struct.pack_into(">I", buf, 17, crc32c(bytes(buf[21:])))


def build_batch(records, lz4_codec, java_frame, base_offset, epoch, deltas=None, last_offset_delta=None):
    """One batch from kafka-python's builder; records = [(ts, key, value, headers)].

    deltas: offsetDeltas of the records (compaction leaves gaps); default 0..n-1.
    """
    builder = MemoryRecordsBuilder(magic=2, compression_type=3 if lz4_codec else 0, batch_size=1 << 24)
    next_delta = 0
    for i, (ts, key, value, headers) in enumerate(records):
        d = i if deltas is None else deltas[i]
        if d > next_delta:
            builder.skip(d - next_delta)
        if builder.append(timestamp=ts, key=key, value=value, headers=headers) is None:
            raise WriteError("MemoryRecordsBuilder refused record %d" % i)
        next_delta = d + 1
    builder.close()
    buf = bytearray(builder.buffer())
    attrs = struct.unpack_from(">h", buf, 21)[0]
    if lz4_codec:
        if attrs & 7 != 3:
            raise WriteError("kafka-python fell back to no compression (attributes 0x%04x) for an LZ4 batch of "
                             "%d records: the values do not compress" % (attrs, len(records)))
        if buf[61:65] != b"\x04\x22\x4d\x18" or buf[65] != KAFKA_PYTHON_LZ4_FLG:
            raise WriteError("unexpected kafka-python LZ4 frame header %s" % bytes(buf[61:68]).hex(" "))
        if java_frame:
            content = lz4.frame.decompress(bytes(buf[61:]))
            frame = lz4.frame.compress(content, block_size=lz4.frame.BLOCKSIZE_MAX64KB, block_linked=False,
                                       content_checksum=False, block_checksum=False, store_size=False)
            if frame[:7] != JAVA_LZ4_HEADER:
                raise WriteError("python-lz4 did not write a Java-style frame header: %s" % frame[:7].hex(" "))
            buf = buf[:61] + frame
            struct.pack_into(">i", buf, 8, len(buf) - 12)
            fix_crc(buf)
    elif attrs & 7 != 0:
        raise WriteError("uncompressed batch has attributes 0x%04x" % attrs)
    if last_offset_delta is not None and last_offset_delta != struct.unpack_from(">i", buf, 23)[0]:
        struct.pack_into(">i", buf, 23, last_offset_delta)   # compaction keeps the original lastOffsetDelta
        fix_crc(buf)
    # Broker-assigned fields outside the CRC: baseOffset and partitionLeaderEpoch.
    struct.pack_into(">q", buf, 0, base_offset)
    if epoch != 0:
        struct.pack_into(">i", buf, 12, epoch)
    # Sanity: kafka-python reads back what we meant.
    (batch,) = list(MemoryRecords(bytes(buf)))
    if not batch.validate_crc():
        raise WriteError("CRC of a built batch does not validate")
    got = [(r.offset, r.timestamp, r.key, r.value, r.headers) for r in batch]
    want = [(base_offset + (i if deltas is None else deltas[i]), ts, k, v, h)
            for i, (ts, k, v, h) in enumerate(records)]
    if got != want:
        raise WriteError("a built batch does not read back as written")
    return bytes(buf)


def empty_batch(base_offset, last_offset_delta, max_ts, epoch):
    """Kafka's header-only batch (MemoryRecords.writeEmptyHeader) that compaction keeps."""
    buf = bytearray(HEADER.pack(base_offset, 49, epoch, 2, 0, 0, last_offset_delta, -1, max_ts, -1, -1, -1, 0))
    fix_crc(buf)
    return bytes(buf)


def lz4_frame_info(batch):
    """(FLG, number of blocks, number of raw blocks) of an LZ4 batch's frame."""
    flg = batch[65]
    pos = 61 + 7 + (8 if flg & 0x08 else 0)
    blocks = raw = 0
    while True:
        (word,) = struct.unpack_from("<I", batch, pos)
        if word == 0:
            return flg, blocks, raw
        blocks += 1
        raw += bool(word & 0x80000000)
        pos += 4 + (word & 0x7FFFFFFF) + (4 if flg & 0x10 else 0)


# ---------------------------------------------------------------------------
# Indexes (Kafka's LogSegment.append / onBecomeInactiveSegment)

def build_indexes(base, batches, interval, closed):
    """batches = [(position, size, lastOffset, maxTimestamp)] -> (.index bytes, .timeindex bytes).

    Kafka adds an entry when more than `interval` bytes were appended since the last one (interval -1:
    every batch); the offset-index entry is (lastOffset - base, position of the batch), the time-index
    entry (largest timestamp so far, lastOffset - base of the first batch holding it), appended only if
    the timestamp grew.  A closed segment gets a final time-index entry.
    """
    index, tindex = bytearray(), bytearray()
    last_t = [None]

    def maybe_append_time(ts, off):
        if ts >= 0 and (last_t[0] is None or ts > last_t[0]):
            tindex.extend(struct.pack(">qi", ts, off - base))
            last_t[0] = ts

    since = 0
    max_so_far, off_of_max = -1, None
    for pos, size, last_offset, max_ts in batches:
        if max_ts > max_so_far:
            max_so_far, off_of_max = max_ts, last_offset
        if since > interval:
            index.extend(struct.pack(">ii", last_offset - base, pos))
            maybe_append_time(max_so_far, off_of_max)
            since = 0
        since += size
    if closed and off_of_max is not None:
        maybe_append_time(max_so_far, off_of_max)
    return bytes(index), bytes(tindex)


# ---------------------------------------------------------------------------

def write_dir(directory, seed, framing, compacted, json_path):
    c = Content(seed)
    specs, segments = plan(c)
    erng = random.Random(seed * 7919 + 1)

    # Offsets as assigned when the batches were first written.
    bases, off = [], 0
    for _, _, recs in specs:
        bases.append(off)
        off += len(recs)

    os.makedirs(directory, exist_ok=True)
    clash = [n for n in os.listdir(directory) if SEGMENT_RE.match(n)]
    if clash:
        raise WriteError("%s already holds segment files (%s); use an empty directory"
                         % (directory, ", ".join(sorted(clash)[:3])))

    expected = []
    stats = {"lz4_java": 0, "lz4_kp": 0, "none": 0, "empty": 0, "records": 0}
    for seg_no, (members, index_mode, closed) in enumerate(segments):
        seg_base = bases[members[0]]
        log = bytearray()
        meta = []
        for bi in members:
            codec, java_in_mixed, recs = specs[bi]
            lz4_codec = codec == "lz4"
            java = lz4_codec and (framing == "java" or (framing == "mixed" and java_in_mixed))
            epoch = -1 if bi == 0 else 0 if bi == 1 else erng.choice([-1, 0])
            deltas, lod = list(range(len(recs))), None
            if compacted:
                deltas, lod = compact(bi, len(recs))
                if deltas is None:
                    continue                      # the whole batch was removed
            kept = [recs[d] for d in deltas]
            if not kept:
                batch = empty_batch(bases[bi], lod, max(r[0] for r in recs), epoch)
                stats["empty"] += 1
            else:
                batch = build_batch(kept, lz4_codec, java, bases[bi], epoch, deltas, lod)
                stats["lz4_java" if java else "lz4_kp" if lz4_codec else "none"] += 1
                if lz4_codec:
                    flg, blocks, raw = lz4_frame_info(batch)
                    if bi == 4 and not compacted and (blocks < 3 or (java and not raw)):
                        raise WriteError("big LZ4 batch has %d blocks, %d raw: expected a multi-block frame "
                                         "with a raw block" % (blocks, raw))
            (lod_written,) = struct.unpack_from(">i", batch, 23)
            (max_ts,) = struct.unpack_from(">q", batch, 35)
            meta.append((len(log), len(batch), bases[bi] + lod_written, max_ts))
            log += batch
            for d in deltas:
                ts, key, value, headers = recs[d]
                expected.append(record_json(bases[bi] + d, ts, key, value, headers))
            stats["records"] += len(kept)
        name = "%020d" % seg_base
        with open(os.path.join(directory, name + ".log"), "wb") as f:
            f.write(log)
        if index_mode is not None:
            index, tindex = build_indexes(seg_base, meta, -1 if index_mode == "dense" else 4096, closed)
            with open(os.path.join(directory, name + ".index"), "wb") as f:
                f.write(index)
            with open(os.path.join(directory, name + ".timeindex"), "wb") as f:
                f.write(tindex)

    if json_path:
        with open(json_path, "w", encoding="ascii", newline="\n") as f:
            f.write("".join(line + "\n" for line in expected))
    n_batches = stats["lz4_java"] + stats["lz4_kp"] + stats["none"] + stats["empty"]
    return ("%d segments, %d batches (%d LZ4 Java-framed, %d LZ4 kafka-python-framed, %d uncompressed%s), "
            "%d records, offsets %d..%d%s, seed %d"
            % (len(segments), n_batches, stats["lz4_java"], stats["lz4_kp"], stats["none"],
               ", %d empty" % stats["empty"] if compacted else "", stats["records"], 0, off - 1,
               " (compacted: with gaps)" if compacted else "", seed))


def compact(bi, n):
    """What Kafka's cleaner leaves of batch bi with n records: (kept offsetDeltas, lastOffsetDelta).

    (None, None) when the batch disappears entirely.
    """
    if bi == 0:
        return None, None                          # segment 1 now starts above its base offset
    if bi == 2:
        return list(range(1, n, 2)), n - 1         # gaps inside the batch
    if bi == 7:
        return list(range(0, n - 3)), n - 1        # the last records are gone, lastOffsetDelta stays
    if bi == 9:
        return [], n - 1                           # empty batch keeps the last offset
    if bi == 11:
        return [0, n - 1], n - 1
    return list(range(n)), n - 1                   # batch copied as is


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        self.print_usage(sys.stderr)
        sys.stderr.write("%s: FAIL: %s\n" % (PROG, message))
        sys.exit(1)


def main(argv=None):
    ap = _Parser(prog=PROG, description=__doc__.split("\n\n")[0])
    ap.add_argument("dir", metavar="DIR", help="directory to create the segments in (created if missing)")
    ap.add_argument("--seed", type=int, default=1, help="content seed (default 1)")
    ap.add_argument("--json", metavar="OUT", help="write the expected records as JSON lines to OUT")
    ap.add_argument("--lz4-framing", choices=("mixed", "java", "kafka-python"), default="mixed",
                    help="LZ4 frame style (default mixed: both kafka-python's FLG 0x68 and Java's 0x60)")
    ap.add_argument("--compacted", action="store_true",
                    help="write the log as compaction leaves it (gaps; read with --allow-gaps)")
    args = ap.parse_args(argv)
    try:
        summary = write_dir(args.dir, args.seed, args.lz4_framing, args.compacted, args.json)
    except (WriteError, OSError) as exc:
        sys.stderr.write("%s: FAIL: %s\n" % (PROG, exc))
        return 1
    print("%s: %s" % (args.dir, summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
