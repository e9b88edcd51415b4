#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Strictly check a directory of Kafka log segments written by libeventlog.

What: every <20-digit base>.log segment is read in order with kafka-python
3.0.12 (MemoryRecords / DefaultRecordBatch, validate_crc() before iterating),
and every record is re-parsed by an independent strict decoder that must agree
with kafka-python.  On top of that it checks what kafka-python does not but
Kafka's Java code relies on: the LZ4 framing of each compressed batch (one
frame, FLG 0x60 = independent blocks, BD 0x40, correct header checksum, blocks
of <= 64 KiB, EndMark exactly at the batch end), the batch header fields,
offset continuity across the directory, no torn or zero-filled tail, and the
meaning of .index / .timeindex entries (Docs/FORMAT.md sections 3 to 6).

Why: kafka-python is lenient (it accepts linked LZ4 blocks, ignores trailing
bytes, never checks indexes), so "kafka-python can read it" does not prove that
a Kafka broker or DumpLogSegments would accept the directory.

Usage: kafka_read.py DIR [--json OUT] [--allow-gaps] [--lz4 {strict,kafka}]
Exit 0 and print "N segments, M batches, R records, OK"; exit 1 with a message
naming the file and byte position of the first problem.
"""

import argparse
import base64
import json
import os
import re
import struct
import sys

PROG = "kafka_read.py"

try:
    import lz4.block
    import lz4.frame
    from kafka.errors import CorruptRecordError
    from kafka.record.default_records import DefaultRecordBatch
    from kafka.record.memory_records import MemoryRecords
except ImportError as exc:  # pragma: no cover - environment problem
    sys.stderr.write("%s: FAIL: missing Python package (%s); run: "
                     "pip install kafka-python==3.0.12 lz4 crc32c\n" % (PROG, exc))
    sys.exit(1)

try:
    from crc32c import crc32c as _crc32c
except ImportError:  # kafka-python falls back to a (slow) pure-Python CRC
    _crc32c = None

# ---------------------------------------------------------------------------
# Constants (Docs/FORMAT.md sections 3, 5, 6)

HEADER = struct.Struct(">qiibIhiqqqhii")   # the 61-byte RecordBatch v2 header
HEADER_SIZE = HEADER.size                  # 61
LOG_OVERHEAD = 12                          # baseOffset + batchLength
INT32_MAX = (1 << 31) - 1
LZ4_MAGIC = b"\x04\x22\x4d\x18"
JAVA_LZ4_HEADER = b"\x04\x22\x4d\x18\x60\x40\x82"  # FLG 0x60, BD 0x40, HC 0x82
KIB64 = 64 * 1024
SEGMENT_RE = re.compile(r"^(\d+)\.(log|index|timeindex)$")
CODEC_NAMES = {0: "none", 1: "gzip", 2: "snappy", 3: "lz4", 4: "zstd"}


class CheckError(Exception):
    """A failed check: the file, the byte position in it, and what is wrong."""

    def __init__(self, path, pos, msg):
        Exception.__init__(self, msg)
        self.path = path
        self.pos = pos
        self.msg = msg

    def __str__(self):
        where = self.path if self.pos is None else "%s at byte %d" % (self.path, self.pos)
        return "%s: %s" % (where, self.msg)


# ---------------------------------------------------------------------------
# XXH32 (LZ4 frame header checksum and optional block/content checksums)

_P1, _P2, _P3, _P4, _P5 = 2654435761, 2246822519, 3266489917, 668265263, 374761393
_M = 0xFFFFFFFF


def _rotl(x, r):
    return ((x << r) | (x >> (32 - r))) & _M


def xxh32(data, seed=0):
    data = bytes(data)
    n = len(data)
    i = 0
    if n >= 16:
        v1 = (seed + _P1 + _P2) & _M
        v2 = (seed + _P2) & _M
        v3 = seed & _M
        v4 = (seed - _P1) & _M
        stripes = n // 16
        for a, b, c, d in struct.iter_unpack("<4I", data[:stripes * 16]):
            v1 = (_rotl((v1 + a * _P2) & _M, 13) * _P1) & _M
            v2 = (_rotl((v2 + b * _P2) & _M, 13) * _P1) & _M
            v3 = (_rotl((v3 + c * _P2) & _M, 13) * _P1) & _M
            v4 = (_rotl((v4 + d * _P2) & _M, 13) * _P1) & _M
        i = stripes * 16
        h = (_rotl(v1, 1) + _rotl(v2, 7) + _rotl(v3, 12) + _rotl(v4, 18)) & _M
    else:
        h = (seed + _P5) & _M
    h = (h + n) & _M
    while i + 4 <= n:
        (w,) = struct.unpack_from("<I", data, i)
        h = (_rotl((h + w * _P3) & _M, 17) * _P4) & _M
        i += 4
    while i < n:
        h = (_rotl((h + data[i] * _P5) & _M, 11) * _P1) & _M
        i += 1
    h ^= h >> 15
    h = (h * _P2) & _M
    h ^= h >> 13
    h = (h * _P3) & _M
    h ^= h >> 16
    return h


# ---------------------------------------------------------------------------
# JSON lines (identical in kafka_write.py)

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
# LZ4 frame check (what Kafka's Lz4BlockInputStream accepts, section 3)

def _describe_flg(flg):
    parts = ["version %d" % (flg >> 6),
             "independent blocks" if flg & 0x20 else "LINKED blocks",
             "block checksum" if flg & 0x10 else None,
             "content size" if flg & 0x08 else None,
             "content checksum" if flg & 0x04 else None,
             "reserved bit 1" if flg & 0x02 else None,
             "dictID" if flg & 0x01 else None]
    return ", ".join(p for p in parts if p)


def check_lz4_frame(path, buf, start, end, mode):
    """Check the LZ4 frame in buf[start:end] (file positions) and return its content.

    mode "strict": exactly the frame libeventlog must write (Java's Lz4BlockOutputStream):
    header 04 22 4d 18 60 40 82, blocks of <= 64 KiB, EndMark at `end`.
    mode "kafka": any frame Kafka's Java reader accepts (e.g. kafka-python's FLG 0x68 with
    content size); optional checksums and content size are verified as well.
    """
    if end - start < 7 + 4:
        raise CheckError(path, start, "LZ4 payload of %d bytes is too short for a frame" % (end - start))
    if buf[start:start + 4] != LZ4_MAGIC:
        raise CheckError(path, start, "LZ4 payload does not start with the frame magic 04 22 4d 18 (got %s)"
                         % buf[start:start + 4].hex(" "))
    flg, bd = buf[start + 4], buf[start + 5]
    if mode == "strict":
        if flg != 0x60:
            raise CheckError(path, start + 4, "LZ4 FLG is 0x%02x (%s); libeventlog must write 0x60 "
                             "(version 1, independent blocks, no checksums, no content size) like "
                             "Kafka's Java producer" % (flg, _describe_flg(flg)))
        if bd != 0x40:
            raise CheckError(path, start + 5, "LZ4 BD is 0x%02x; libeventlog must write 0x40 (64 KiB blocks)" % bd)
        if buf[start + 6] != 0x82:
            raise CheckError(path, start + 6, "LZ4 header checksum is 0x%02x, expected 0x82 for FLG 60 BD 40%s"
                             % (buf[start + 6], " (0x1a is the pre-0.10 Kafka bug, KAFKA-3160)"
                                if buf[start + 6] == 0x1A else ""))
        has_bsum = has_csize = has_csum = False
        block_max = KIB64
        pos = start + 7
    else:
        if flg >> 6 != 1:
            raise CheckError(path, start + 4, "LZ4 FLG 0x%02x: frame version %d, Kafka requires 1" % (flg, flg >> 6))
        if not flg & 0x20:
            raise CheckError(path, start + 4, "LZ4 FLG 0x%02x: linked (dependent) blocks; Kafka fails with "
                             "'Dependent block stream is unsupported'" % flg)
        if flg & 0x03:
            raise CheckError(path, start + 4, "LZ4 FLG 0x%02x: reserved bit / dictID set; Kafka rejects it" % flg)
        if bd & 0x8F or not 4 <= (bd >> 4) & 7 <= 7:
            raise CheckError(path, start + 5, "LZ4 BD 0x%02x: Kafka requires block size code 4..7 and reserved bits 0" % bd)
        has_bsum, has_csize, has_csum = bool(flg & 0x10), bool(flg & 0x08), bool(flg & 0x04)
        block_max = 1 << (2 * ((bd >> 4) & 7) + 8)
        desc_end = start + 6 + (8 if has_csize else 0)
        if desc_end + 1 + 4 > end:
            raise CheckError(path, start, "LZ4 frame header runs past the batch end")
        hc = (xxh32(buf[start + 4:desc_end]) >> 8) & 0xFF
        if buf[desc_end] != hc:
            raise CheckError(path, desc_end, "LZ4 header checksum is 0x%02x, expected 0x%02x (Kafka: "
                             "'Stream frame descriptor corrupted')" % (buf[desc_end], hc))
        pos = desc_end + 1

    blocks = []
    while True:
        if pos + 4 > end:
            raise CheckError(path, pos, "LZ4 frame has no EndMark (00 00 00 00) before the batch end at byte %d" % end)
        (word,) = struct.unpack_from("<I", buf, pos)
        if word == 0:
            pos += 4
            break
        raw = bool(word & 0x80000000)
        size = word & 0x7FFFFFFF
        if size == 0:
            raise CheckError(path, pos, "LZ4 block size word 0x%08x: raw block of 0 bytes" % word)
        if size > block_max:
            raise CheckError(path, pos, "LZ4 block of %d bytes exceeds the %d-byte block maximum" % (size, block_max))
        data_start = pos + 4
        data_end = data_start + size
        if data_end + (4 if has_bsum else 0) > end:
            raise CheckError(path, pos, "LZ4 block of %d bytes runs past the batch end at byte %d" % (size, end))
        data = bytes(buf[data_start:data_end])
        if raw:
            out = data
        else:
            try:
                out = lz4.block.decompress(data, uncompressed_size=block_max)
            except Exception as exc:
                raise CheckError(path, pos, "LZ4 block does not decompress on its own into <= %d bytes "
                                 "(linked blocks, oversized block or corrupt data; Kafka's reader requires "
                                 "independent blocks of <= 64 KiB input): %s" % (block_max, exc))
        if has_bsum:
            (stored,) = struct.unpack_from("<I", buf, data_end)
            if stored != xxh32(data):
                raise CheckError(path, data_end, "LZ4 block checksum mismatch (Kafka: 'Block checksum mismatch')")
            data_end += 4
        blocks.append(out)
        pos = data_end
    content = b"".join(blocks)
    if has_csum:
        if pos + 4 > end:
            raise CheckError(path, pos, "LZ4 content checksum missing after EndMark")
        (stored,) = struct.unpack_from("<I", buf, pos)
        if stored != xxh32(content):
            raise CheckError(path, pos, "LZ4 content checksum mismatch (Kafka ignores it, kafka-python rejects it)")
        pos += 4
    if has_csize:
        (csize,) = struct.unpack_from("<Q", buf, start + 6)
        if csize != len(content):
            raise CheckError(path, start + 6, "LZ4 content size field says %d, frame holds %d bytes" % (csize, len(content)))
    if pos != end:
        raise CheckError(path, pos, "%d bytes after the LZ4 EndMark before the batch end (a second frame or junk; "
                         "exactly one frame must fill the payload)" % (end - pos))
    try:
        check = lz4.frame.decompress(bytes(buf[start:end]))
    except Exception as exc:
        raise CheckError(path, start, "python-lz4 cannot decompress the frame: %s" % exc)
    if check != content:
        raise CheckError(path, start, "block-by-block LZ4 decoding disagrees with lz4.frame.decompress")
    return content


# ---------------------------------------------------------------------------
# Independent strict record decoder (section 2)

class _RecErr(Exception):
    def __init__(self, rel, msg):
        Exception.__init__(self, msg)
        self.rel = rel
        self.msg = msg


def _varint(buf, pos, max_bytes, what):
    start = pos
    raw = 0
    shift = 0
    while True:
        if pos >= len(buf):
            raise _RecErr(start, "premature end of records while reading %s" % what)
        b = buf[pos]
        pos += 1
        raw |= (b & 0x7F) << shift
        if not b & 0x80:
            break
        shift += 7
        if pos - start >= max_bytes:
            raise _RecErr(start, "%s: varint longer than %d bytes" % (what, max_bytes))
    value = (raw >> 1) ^ -(raw & 1)
    bits = 32 if max_bytes == 5 else 64
    if not -(1 << (bits - 1)) <= value < (1 << (bits - 1)):
        raise _RecErr(start, "%s: varint value %d does not fit int%d" % (what, value, bits))
    return value, pos


def parse_records(buf, count):
    """Decode `count` records from buf; return [(offsetDelta, tsDelta, key, value, headers)]."""
    out = []
    pos = 0
    n = len(buf)
    for i in range(count):
        rstart = pos
        length, pos = _varint(buf, pos, 5, "record %d length" % i)
        if length < 1:
            raise _RecErr(rstart, "record %d: length %d" % (i, length))
        end = pos + length
        if end > n:
            raise _RecErr(rstart, "record %d: length %d runs past the end of the records (premature EOF)" % (i, length))
        if buf[pos] != 0:
            raise _RecErr(pos, "record %d: attributes byte is 0x%02x, must be 0" % (i, buf[pos]))
        pos += 1
        ts_delta, pos = _varint(buf, pos, 10, "record %d timestampDelta" % i)
        off_delta, pos = _varint(buf, pos, 5, "record %d offsetDelta" % i)

        def _bytes(pos, what, nullable=True):
            at = pos
            ln, pos = _varint(buf, pos, 5, what)
            if ln < (-1 if nullable else 0):
                raise _RecErr(at, "%s: invalid length %d" % (what, ln))
            if ln < 0:
                return None, pos
            if pos + ln > end:
                raise _RecErr(at, "%s: length %d runs past the record end" % (what, ln))
            return bytes(buf[pos:pos + ln]), pos + ln

        key, pos = _bytes(pos, "record %d key" % i)
        value, pos = _bytes(pos, "record %d value" % i)
        at = pos
        hcount, pos = _varint(buf, pos, 5, "record %d header count" % i)
        if hcount < 0 or hcount > end - pos:
            raise _RecErr(at, "record %d: invalid header count %d" % (i, hcount))
        headers = []
        for h in range(hcount):
            at = pos
            hkey, pos = _bytes(pos, "record %d header %d key" % (i, h), nullable=False)
            try:
                hkey = hkey.decode("utf-8")
            except UnicodeDecodeError:
                raise _RecErr(at, "record %d header %d key is not valid UTF-8" % (i, h))
            hval, pos = _bytes(pos, "record %d header %d value" % (i, h))
            headers.append((hkey, hval))
        if pos != end:
            raise _RecErr(rstart, "record %d: length says %d bytes but the fields take %d" % (i, length, pos - (end - length)))
        out.append((off_delta, ts_delta, key, value, headers))
    if pos != n:
        raise _RecErr(pos, "%d bytes left after all %d records (Kafka: 'Incorrect declared batch size')" % (n - pos, count))
    return out


# ---------------------------------------------------------------------------
# Segments

def _read(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as exc:
        raise CheckError(path, None, "cannot read: %s" % exc)


class Batch:
    __slots__ = ("pos", "size", "base_offset", "last_offset", "count", "max_ts", "record_ts")


class Checker:
    def __init__(self, directory, allow_gaps, lz4_mode, json_out):
        self.dir = directory
        self.allow_gaps = allow_gaps
        self.lz4_mode = lz4_mode
        self.json_out = json_out
        self.next_offset = None      # the offset the next batch must start at (or after, with gaps)
        self.prev_last = None        # lastOffset of the previous batch in the directory
        self.n_batches = 0
        self.n_records = 0

    # -- directory -----------------------------------------------------------
    def segments(self):
        try:
            names = sorted(os.listdir(self.dir))
        except OSError as exc:
            raise CheckError(self.dir, None, "cannot list directory: %s" % exc)
        logs, indexes = {}, {}
        for name in names:
            m = SEGMENT_RE.match(name)
            if not m:
                if name.endswith((".log", ".index", ".timeindex")):
                    raise CheckError(os.path.join(self.dir, name), None,
                                     "segment-like file name is not <20 decimal digits>.<kind>")
                if name.endswith((".swap", ".cleaned", ".deleted")):
                    sys.stderr.write("%s: warning: leftover temporary file %s\n" % (PROG, name))
                continue
            digits, kind = m.group(1), m.group(2)
            if len(digits) != 20:
                raise CheckError(os.path.join(self.dir, name), None,
                                 "base offset has %d digits; Kafka names segments with exactly 20 (%%020d)" % len(digits))
            base = int(digits)
            if base > (1 << 63) - 1:
                raise CheckError(os.path.join(self.dir, name), None, "base offset does not fit int64")
            if kind == "log":
                logs[base] = name
            else:
                indexes.setdefault(base, {})[kind] = name
        for base, kinds in sorted(indexes.items()):
            if base not in logs:
                raise CheckError(os.path.join(self.dir, sorted(kinds.values())[0]), None,
                                 "index file without a %020d.log segment" % base)
        if not logs:
            raise CheckError(self.dir, None, "no <20-digit base>.log segment files")
        return [(base, logs[base], indexes.get(base, {})) for base in sorted(logs)]

    def run(self):
        segs = self.segments()
        for i, (base, name, idx) in enumerate(segs):
            self.check_segment(base, name, idx, is_last=(i == len(segs) - 1))
        return len(segs)

    # -- one segment ---------------------------------------------------------
    def check_segment(self, base, name, idx, is_last):
        path = os.path.join(self.dir, name)
        data = _read(path)
        size = len(data)
        if size > INT32_MAX:
            raise CheckError(path, INT32_MAX, "segment is larger than 2^31-1 bytes (positions are int32)")
        if self.prev_last is not None and base <= self.prev_last:
            raise CheckError(path, None, "segment base %d overlaps the previous segment (its last offset is %d)"
                             % (base, self.prev_last))
        if not self.allow_gaps and self.next_offset is not None and base != self.next_offset:
            raise CheckError(path, None, "segment base %d, but the previous segment ended at offset %d "
                             "(expected base %d; use --allow-gaps for compacted logs)"
                             % (base, self.next_offset - 1, self.next_offset))

        mr = MemoryRecords(data)
        batches = []
        pos = 0
        while pos < size:
            batches.append(self.check_batch(path, data, pos, base, mr, first_in_segment=not batches))
            pos += batches[-1].size
        if mr.has_next():
            raise CheckError(path, pos, "kafka-python sees another batch after the last one")
        valid = mr.valid_bytes()
        if valid != size:
            raise CheckError(path, valid, "kafka-python valid_bytes() is %d but the file has %d bytes" % (valid, size))

        seg_max_ts = max([b.max_ts for b in batches], default=-1)
        if "index" in idx:
            self.check_offset_index(os.path.join(self.dir, idx["index"]), base, batches)
        if "timeindex" in idx:
            self.check_time_index(os.path.join(self.dir, idx["timeindex"]), base, batches, seg_max_ts, is_last)

    def check_batch(self, path, data, pos, seg_base, mr, first_in_segment):
        size = len(data)
        remaining = size - pos
        tail_kind = "zero-filled" if not any(data[pos:]) else "torn"
        if remaining < LOG_OVERHEAD:
            raise CheckError(path, pos, "%d trailing bytes after the last complete batch (%s tail); "
                             "the file must end exactly after a batch" % (remaining, tail_kind))
        base_offset, batch_len = struct.unpack_from(">qi", data, pos)
        if batch_len < HEADER_SIZE - LOG_OVERHEAD:
            raise CheckError(path, pos, "batchLength %d is below the 49-byte minimum (%s tail: %d bytes "
                             "after the last complete batch)" % (batch_len, tail_kind, remaining))
        end = pos + LOG_OVERHEAD + batch_len
        if end > size:
            raise CheckError(path, pos, "torn batch: batchLength %d ends at byte %d but the file has %d bytes"
                             " (%d trailing bytes after the last complete batch)" % (batch_len, end, size, remaining))
        if data[pos + 16] != 2:
            raise CheckError(path, pos + 16, "magic is %d, expected 2" % data[pos + 16])
        (bo, bl, epoch, magic, crc, attrs, lod, base_ts, max_ts, pid, pepoch, bseq, count) = \
            HEADER.unpack_from(data, pos)

        # kafka-python's view of the same bytes
        if not mr.has_next():
            raise CheckError(path, pos, "kafka-python's MemoryRecords stops before this batch")
        try:
            batch = mr.next_batch()
        except CorruptRecordError as exc:
            raise CheckError(path, pos, "kafka-python: %s" % exc)
        if not isinstance(batch, DefaultRecordBatch) or batch.magic != 2:
            raise CheckError(path, pos + 16, "kafka-python did not parse a magic-2 DefaultRecordBatch")
        if batch.size_in_bytes != end - pos or batch.base_offset != bo:
            raise CheckError(path, pos, "kafka-python's batch boundaries disagree with the header")
        if not batch.validate_crc():
            computed = _crc32c(bytes(data[pos + 21:end])) if _crc32c else None
            raise CheckError(path, pos + 17, "CRC-32C mismatch: stored 0x%08x%s" % (
                crc, "" if computed is None else ", computed 0x%08x over bytes [%d, %d)" % (computed, pos + 21, end)))

        # header fields
        uattrs = attrs & 0xFFFF
        if uattrs & 0xFF00:
            raise CheckError(path, pos + 21, "attributes 0x%04x: high byte must be 0" % uattrs)
        codec = uattrs & 7
        if codec not in (0, 3):
            raise CheckError(path, pos + 21, "attributes 0x%04x: codec %d (%s); libeventlog writes only none (0) "
                             "or lz4 (3)" % (uattrs, codec, CODEC_NAMES.get(codec, "invalid")))
        if uattrs & 0x30:
            raise CheckError(path, pos + 21, "attributes 0x%04x: transactional/control bit set; libeventlog "
                             "writes neither" % uattrs)
        if uattrs & 0x80:
            raise CheckError(path, pos + 21, "attributes 0x%04x: unused bit 7 set" % uattrs)
        delete_horizon = bool(uattrs & 0x40)
        if delete_horizon and not self.allow_gaps:
            raise CheckError(path, pos + 21, "attributes 0x%04x: delete-horizon bit 6 is set only by compaction "
                             "(use --allow-gaps)" % uattrs)
        log_append_time = bool(uattrs & 0x08)
        if epoch < -1:
            raise CheckError(path, pos + 12, "partitionLeaderEpoch %d; must be -1 or >= 0" % epoch)
        if pid != -1:
            raise CheckError(path, pos + 43, "producerId %d, expected -1" % pid)
        if pepoch != -1:
            raise CheckError(path, pos + 51, "producerEpoch %d, expected -1" % pepoch)
        if bseq != -1:
            raise CheckError(path, pos + 53, "baseSequence %d, expected -1" % bseq)
        if count < 0:
            raise CheckError(path, pos + 57, "recordsCount %d is negative" % count)
        if self.allow_gaps:
            if lod < max(0, count - 1):
                raise CheckError(path, pos + 23, "lastOffsetDelta %d < recordsCount-1 = %d" % (lod, count - 1))
        elif count == 0:
            raise CheckError(path, pos + 57, "empty batch (recordsCount 0); only compacted logs have these "
                             "(use --allow-gaps)")
        elif lod != count - 1:
            raise CheckError(path, pos + 23, "lastOffsetDelta %d != recordsCount-1 = %d (a fresh batch; use "
                             "--allow-gaps for compacted logs)" % (lod, count - 1))
        last_offset = bo + lod
        if bo < 0:
            raise CheckError(path, pos, "baseOffset %d is negative" % bo)
        if bo < seg_base:
            raise CheckError(path, pos, "baseOffset %d is below the segment base %d in the file name" % (bo, seg_base))
        if last_offset - seg_base > INT32_MAX:
            raise CheckError(path, pos, "lastOffset %d is more than 2^31-1 above the segment base %d" % (last_offset, seg_base))
        if first_in_segment and not self.allow_gaps and bo != seg_base:
            raise CheckError(path, pos, "first batch baseOffset %d != segment base %d from the file name "
                             "(offsets %d..%d missing; use --allow-gaps for compacted logs)"
                             % (bo, seg_base, seg_base, bo - 1))
        if self.next_offset is not None:
            if self.allow_gaps:
                if bo < self.next_offset:
                    raise CheckError(path, pos, "baseOffset %d overlaps the previous batch (last offset %d)"
                                     % (bo, self.next_offset - 1))
            elif bo != self.next_offset:
                raise CheckError(path, pos, "baseOffset %d, expected %d: offsets must be consecutive across the "
                                 "directory (%s; use --allow-gaps for compacted logs)"
                                 % (bo, self.next_offset, "gap" if bo > self.next_offset else "overlap"))

        # payload
        payload_start = pos + HEADER_SIZE
        if count == 0:
            if end != payload_start:
                raise CheckError(path, pos, "empty batch with %d payload bytes (Kafka's empty batch is a bare "
                                 "61-byte header)" % (end - payload_start))
            content, content_is_file = b"", True
        elif codec == 3:
            content = check_lz4_frame(path, data, payload_start, end, self.lz4_mode)
            content_is_file = False
        else:
            content, content_is_file = memoryview(data)[payload_start:end], True
        try:
            mine = parse_records(content, count)
        except _RecErr as exc:
            if content_is_file:
                raise CheckError(path, payload_start + exc.rel, exc.msg)
            raise CheckError(path, pos, "in the decompressed records at byte %d: %s" % (exc.rel, exc.msg))

        try:
            theirs = list(batch)
        except (CorruptRecordError, ValueError, IndexError) as exc:
            raise CheckError(path, pos, "kafka-python cannot iterate the batch: %s" % exc)
        except Exception as exc:
            raise CheckError(path, pos, "kafka-python failed on the batch: %r" % exc)
        if len(theirs) != count:
            raise CheckError(path, pos, "kafka-python yields %d records, recordsCount is %d" % (len(theirs), count))

        record_ts = []
        prev_delta = -1
        for i, ((off_delta, ts_delta, key, value, headers), rec) in enumerate(zip(mine, theirs)):
            ts = base_ts + ts_delta
            reported_ts = max_ts if log_append_time else ts
            if (rec.offset, rec.timestamp, rec.key, rec.value, list(rec.headers)) != \
                    (bo + off_delta, reported_ts, key, value, headers):
                raise CheckError(path, pos, "record %d: kafka-python and the strict decoder disagree" % i)
            if self.allow_gaps:
                if off_delta <= prev_delta or off_delta > lod:
                    raise CheckError(path, pos, "record %d: offsetDelta %d not strictly increasing within "
                                     "[0, lastOffsetDelta %d]" % (i, off_delta, lod))
            elif off_delta != i:
                raise CheckError(path, pos, "record %d: offsetDelta %d, expected %d" % (i, off_delta, i))
            prev_delta = off_delta
            record_ts.append(reported_ts)
            if self.json_out is not None:
                self.json_out.write(record_json(rec.offset, rec.timestamp, rec.key, rec.value, rec.headers) + "\n")

        if count:
            raw_ts = [base_ts + m[1] for m in mine]
            if not delete_horizon and base_ts != raw_ts[0]:
                raise CheckError(path, pos + 27, "baseTimestamp %d != first record's timestamp %d (timestampDelta "
                                 "of record 0 is %d, must be 0)" % (base_ts, raw_ts[0], mine[0][1]))
            if not log_append_time and max_ts != max(raw_ts):
                raise CheckError(path, pos + 35, "maxTimestamp %d != largest record timestamp %d"
                                 % (max_ts, max(raw_ts)))
        if max_ts < -1:
            raise CheckError(path, pos + 35, "maxTimestamp %d is negative" % max_ts)

        self.next_offset = last_offset + 1
        self.prev_last = last_offset
        self.n_batches += 1
        self.n_records += count
        b = Batch()
        b.pos, b.size, b.base_offset, b.last_offset, b.count = pos, end - pos, bo, last_offset, count
        b.max_ts, b.record_ts = max_ts, record_ts
        return b

    # -- indexes ---------------------------------------------------------------
    def check_offset_index(self, path, base, batches):
        data = _read(path)
        if len(data) % 8:
            raise CheckError(path, len(data) - len(data) % 8, ".index size %d is not a multiple of 8 "
                             "(untrimmed or torn)" % len(data))
        by_pos = {b.pos: b for b in batches}
        prev = None
        for at in range(0, len(data), 8):
            rel, position = struct.unpack_from(">ii", data, at)
            if prev is not None and (rel <= prev[0] or position <= prev[1]):
                raise CheckError(path, at, "entry (relOffset %d, position %d) does not strictly increase after "
                                 "(%d, %d)%s" % (rel, position, prev[0], prev[1],
                                                 " (zero-filled, untrimmed index?)" if rel == 0 and position == 0 else ""))
            b = by_pos.get(position)
            if b is None:
                raise CheckError(path, at, "entry (relOffset %d, position %d): no batch starts at byte %d of the "
                                 ".log" % (rel, position, position))
            if rel != b.last_offset - base:
                raise CheckError(path, at, "entry (relOffset %d, position %d): the batch there has lastOffset %d, "
                                 "so Kafka expects relOffset %d (lastOffset - base)"
                                 % (rel, position, b.last_offset, b.last_offset - base))
            prev = (rel, position)

    def check_time_index(self, path, base, batches, seg_max_ts, is_last):
        data = _read(path)
        if len(data) % 12:
            raise CheckError(path, len(data) - len(data) % 12, ".timeindex size %d is not a multiple of 12 "
                             "(untrimmed or torn)" % len(data))
        by_last = {b.last_offset: i for i, b in enumerate(batches)}
        max_before = []          # max_before[i] = largest maxTimestamp of batches[:i]
        running = -1
        for b in batches:
            max_before.append(running)
            running = max(running, b.max_ts)
        prev = None
        entries = len(data) // 12
        for at in range(0, len(data), 12):
            ts, rel = struct.unpack_from(">qi", data, at)
            if prev is not None and ts <= prev[0]:
                raise CheckError(path, at, "timestamp %d does not strictly increase after %d%s" % (
                    ts, prev[0], " (zero-filled, untrimmed index?)" if ts == 0 and rel == 0 else ""))
            if prev is not None and rel < prev[1]:
                raise CheckError(path, at, "relOffset %d decreases after %d" % (rel, prev[1]))
            if ts > seg_max_ts:
                raise CheckError(path, at, "timestamp %d exceeds the segment's max timestamp %d" % (ts, seg_max_ts))
            bi = by_last.get(base + rel)
            if bi is None:
                raise CheckError(path, at, "entry (ts %d, relOffset %d): offset %d is not the lastOffset of any "
                                 "batch in the segment" % (ts, rel, base + rel))
            b = batches[bi]
            if b.max_ts != ts or (b.count and ts not in b.record_ts):
                raise CheckError(path, at, "entry (ts %d, relOffset %d): the batch ending at offset %d has "
                                 "maxTimestamp %d; Kafka's entry points at the batch holding that timestamp"
                                 % (ts, rel, base + rel, b.max_ts))
            earlier = max_before[bi]
            if earlier > ts:
                raise CheckError(path, at, "entry (ts %d, relOffset %d): an earlier batch already has timestamp "
                                 "%d, so %d is not the largest timestamp so far" % (ts, rel, earlier, ts))
            if earlier == ts:
                raise CheckError(path, at, "entry (ts %d, relOffset %d): an earlier batch already holds timestamp "
                                 "%d; Kafka points at the first batch reaching the maximum" % (ts, rel, ts))
            prev = (ts, rel)
        if not is_last and batches:
            if prev is None:
                raise CheckError(path, 0, "empty .timeindex for a closed segment; Kafka writes a final entry "
                                 "(max timestamp %d) when it rolls a segment" % seg_max_ts)
            if prev[0] != seg_max_ts:
                raise CheckError(path, (entries - 1) * 12, "last entry of a closed segment has timestamp %d, but the "
                                 "segment's max timestamp is %d (Kafka forces a final entry on roll)"
                                 % (prev[0], seg_max_ts))


# ---------------------------------------------------------------------------

class _Parser(argparse.ArgumentParser):
    def error(self, message):
        self.print_usage(sys.stderr)
        sys.stderr.write("%s: FAIL: %s\n" % (PROG, message))
        sys.exit(1)


def main(argv=None):
    ap = _Parser(prog=PROG, description=__doc__.split("\n\n")[0])
    ap.add_argument("dir", metavar="DIR", help="directory of <20-digit base>.log segments")
    ap.add_argument("--json", metavar="OUT", help="write every record as one JSON line to OUT")
    ap.add_argument("--allow-gaps", action="store_true",
                    help="compacted log: allow offset gaps, lastOffsetDelta > count-1, empty batches, "
                         "delete-horizon batches; offsets must still strictly increase")
    ap.add_argument("--lz4", choices=("strict", "kafka"), default="strict",
                    help="strict (default): every LZ4 frame must be exactly what Kafka's Java producer and "
                         "libeventlog write (04 22 4d 18 60 40 82 ...). kafka: accept any frame Kafka's "
                         "Java reader accepts, e.g. kafka-python's FLG 0x68 frames with a content size")
    args = ap.parse_args(argv)

    if not os.path.isdir(args.dir):
        sys.stderr.write("%s: FAIL: %s: not a directory\n" % (PROG, args.dir))
        return 1
    tmp = None
    out = None
    if args.json:
        tmp = args.json + ".tmp"
        try:
            out = open(tmp, "w", encoding="ascii", newline="\n")
        except OSError as exc:
            sys.stderr.write("%s: FAIL: cannot write %s: %s\n" % (PROG, tmp, exc))
            return 1
    checker = Checker(args.dir, args.allow_gaps, args.lz4, out)
    try:
        n_segments = checker.run()
    except CheckError as exc:
        sys.stderr.write("%s: FAIL: %s\n" % (PROG, exc))
        ok = False
    except Exception as exc:  # a bug here, or something unforeseen in the data
        import traceback
        traceback.print_exc()
        sys.stderr.write("%s: FAIL: internal error in %s after %d batches: %r\n"
                         % (PROG, args.dir, checker.n_batches, exc))
        ok = False
    else:
        ok = True
    if out is not None:
        out.close()
        if ok:
            os.replace(tmp, args.json)
        else:
            os.unlink(tmp)
    if not ok:
        return 1
    print("%d segments, %d batches, %d records, OK" % (n_segments, checker.n_batches, checker.n_records))
    return 0


if __name__ == "__main__":
    sys.exit(main())
