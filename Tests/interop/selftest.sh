#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Self-test of the Kafka interop scripts: kafka_write.py and kafka_read.py must
# agree with each other (identical JSON lines), the writer must be
# deterministic, and kafka_read.py's strict checks must actually fire on
# damaged directories (torn/zero tails, CRC, LZ4 framing, header fields,
# offsets, .index/.timeindex meaning).  Needs: pip install kafka-python==3.0.12 lz4 crc32c
# Usage: Tests/interop/selftest.sh   (exit 0 = all passed)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PY="${PYTHON:-python3}"
READ="$HERE/kafka_read.py"
WRITE="$HERE/kafka_write.py"
T="$(mktemp -d "${TMPDIR:-/tmp}/kafka-interop-selftest.XXXXXX")"
trap 'rm -rf "$T"' EXIT
FAILED=0
PASSED=0

pass() { PASSED=$((PASSED + 1)); echo "ok   $*"; }
fail() { FAILED=$((FAILED + 1)); echo "FAIL $*"; }

# roundtrip NAME WRITER_ARGS... -- READER_ARGS...: write, read back, compare JSON.
roundtrip() {
    local name="$1"; shift
    local wargs=() rargs=()
    while [ "$1" != "--" ]; do wargs+=("$1"); shift; done; shift
    rargs=("$@")
    local d="$T/$name"
    if ! "$PY" "$WRITE" "$d" "${wargs[@]}" --json "$d.expected.jsonl" >"$d.wlog" 2>&1; then
        fail "$name: kafka_write.py failed: $(cat "$d.wlog")"; return
    fi
    if ! "$PY" "$READ" "$d" "${rargs[@]}" --json "$d.read.jsonl" >"$d.rlog" 2>&1; then
        fail "$name: kafka_read.py failed: $(cat "$d.rlog")"; return
    fi
    if ! cmp -s "$d.expected.jsonl" "$d.read.jsonl"; then
        fail "$name: JSON differs: $(diff "$d.expected.jsonl" "$d.read.jsonl" | head -c 400)"; return
    fi
    pass "$name: $(cat "$d.rlog") ($(wc -l <"$d.expected.jsonl") identical JSON lines)"
}

# expect_fail NAME DIR PATTERN [READER_ARGS...]: the reader must exit 1 with PATTERN in its message.
expect_fail() {
    local name="$1" d="$2" pattern="$3"; shift 3
    local out rc=0
    out="$("$PY" "$READ" "$d" "$@" 2>&1)" || rc=$?
    if [ "$rc" -ne 1 ]; then fail "$name: expected exit 1, got $rc: $out"; return; fi
    if ! grep -q -- "$pattern" <<<"$out"; then fail "$name: message lacks '$pattern': $out"; return; fi
    pass "$name -> ${out#kafka_read.py: FAIL: }"
}

# expect_ok NAME DIR [READER_ARGS...]
expect_ok() {
    local name="$1" d="$2"; shift 2
    local out rc=0
    out="$("$PY" "$READ" "$d" "$@" 2>&1)" || rc=$?
    if [ "$rc" -ne 0 ]; then fail "$name: expected success: $out"; return; fi
    pass "$name: $out"
}

# mutate NAME KIND: copy the strict-clean Java-framed directory and damage it.
mutate() {
    local d="$T/m-$1"
    rm -rf "$d"; cp -r "$T/java" "$d"
    "$PY" - "$d" "$2" <<'PYEOF'
import os, struct, sys
import lz4.frame
from crc32c import crc32c

d, kind = sys.argv[1], sys.argv[2]
segs = sorted(n[:-4] for n in os.listdir(d) if n.endswith(".log"))
def p(i, ext): return os.path.join(d, segs[i] + ext)
def rd(path): return bytearray(open(path, "rb").read())
def wr(path, b): open(path, "wb").write(bytes(b))
def batches(buf):
    out, pos = [], 0
    while pos < len(buf):
        n = 12 + struct.unpack_from(">i", buf, pos + 8)[0]
        out.append((pos, n)); pos += n
    return out
def fixcrc(buf, pos, n): struct.pack_into(">I", buf, pos + 17, crc32c(bytes(buf[pos + 21:pos + n])))
def lz4_batch(buf, want_multiblock=False):
    for pos, n in batches(buf):
        if buf[pos + 22] & 7 == 3 and (not want_multiblock or n > 70000):
            return pos, n
    raise SystemExit("no suitable LZ4 batch")
def reframe(path, **kw):
    buf = rd(path); pos, n = lz4_batch(buf, want_multiblock=True)
    content = lz4.frame.decompress(bytes(buf[pos + 61:pos + n]))
    frame = kw.pop("frame", None) or lz4.frame.compress(content, **kw)
    new = buf[pos:pos + 61] + frame
    struct.pack_into(">i", new, 8, len(new) - 12); fixcrc(new, 0, len(new))
    wr(path, buf[:pos] + new + buf[pos + n:])
    ix = path[:-4] + ".index"                 # batches after this one moved: fix .index positions
    if os.path.exists(ix):
        e = rd(ix)
        for i in range(0, len(e), 8):
            rel, at = struct.unpack_from(">ii", e, i)
            if at > pos: struct.pack_into(">ii", e, i, rel, at + len(new) - n)
        wr(ix, e)
    return content
log0, log2 = p(0, ".log"), p(2, ".log")

if kind == "zero-tail":
    b = rd(log2); wr(log2, b + bytes(64))
elif kind == "short-tail":
    b = rd(log2); wr(log2, b + b"\x00\x00\x00\x00\x00")
elif kind == "torn-tail":
    b = rd(log2); wr(log2, b[:-7])
elif kind == "crc":
    b = rd(log0); b[100] ^= 0x01; wr(log0, b)
elif kind == "magic":
    b = rd(log0); b[16] = 1; wr(log0, b)
elif kind == "epoch":
    b = rd(log0); struct.pack_into(">i", b, 12, -2); wr(log0, b)
elif kind in ("producer-id", "last-offset-delta", "max-timestamp", "attr-high", "record-attr"):
    b = rd(log0); bs = batches(b)
    pos, n = bs[1] if kind == "record-attr" else bs[0]
    if kind == "producer-id": struct.pack_into(">q", b, pos + 43, 5)
    if kind == "last-offset-delta": struct.pack_into(">i", b, pos + 23, struct.unpack_from(">i", b, pos + 23)[0] + 1)
    if kind == "max-timestamp": struct.pack_into(">q", b, pos + 35, struct.unpack_from(">q", b, pos + 35)[0] + 1)
    if kind == "attr-high": b[pos + 21] = 0x01
    if kind == "record-attr":
        assert b[pos + 22] & 7 == 0; b[pos + 62] = 0x01   # record 0: 1-byte length varint, then attributes
    fixcrc(b, pos, n); wr(log0, b)
elif kind == "offset-gap":
    b = rd(log0); pos, n = batches(b)[1]
    struct.pack_into(">q", b, pos, struct.unpack_from(">q", b, pos)[0] + 1); wr(log0, b)
elif kind == "segment-name":
    os.rename(p(2, ".log"), os.path.join(d, str(int(segs[2])) + ".log"))
    for ext in (".index", ".timeindex"): os.remove(p(2, ext))
elif kind == "segment-base":
    for ext in (".log", ".index", ".timeindex"):
        os.rename(p(2, ext), os.path.join(d, "%020d" % (int(segs[2]) - 1) + ext))
elif kind == "orphan-index":
    wr(os.path.join(d, "%020d.index" % 99999), b"")
elif kind == "lz4-flg-68":
    reframe(log0, block_linked=False, store_size=True)
elif kind == "lz4-linked-flg":
    reframe(log0, block_linked=True, store_size=False)
elif kind == "lz4-linked-lying":      # linked blocks but FLG claims independent: per-block decoding fails
    b = rd(log0); pos, n = lz4_batch(b, want_multiblock=True)
    content = lz4.frame.decompress(bytes(b[pos + 61:pos + n]))
    f = bytearray(lz4.frame.compress(content, block_linked=True, store_size=False))
    assert f[4:7] == b"\x40\x40\xc0"; f[4:7] = b"\x60\x40\x82"
    reframe(log0, frame=bytes(f))
elif kind == "lz4-4mb-blocks":
    reframe(log0, block_linked=False, store_size=False, block_size=lz4.frame.BLOCKSIZE_MAX4MB)
elif kind == "lz4-checksums":
    reframe(log0, block_linked=False, store_size=True, content_checksum=True, block_checksum=True)
elif kind == "lz4-bad-content-checksum":
    reframe(log0, block_linked=False, store_size=False, content_checksum=True)
    b = rd(log0); pos, n = lz4_batch(b, want_multiblock=True); b[pos + n - 1] ^= 0xFF; fixcrc(b, pos, n); wr(log0, b)
elif kind == "lz4-bad-hc":
    b = rd(log0); pos, n = lz4_batch(b); assert b[pos + 61 + 6] == 0x82; b[pos + 61 + 6] = 0x1A; fixcrc(b, pos, n); wr(log0, b)
elif kind == "lz4-two-frames":
    b = rd(log0); pos, n = lz4_batch(b, want_multiblock=True)
    content = lz4.frame.decompress(bytes(b[pos + 61:pos + n]))
    kw = dict(block_linked=False, store_size=False)
    reframe(log0, frame=lz4.frame.compress(content[:1000], **kw) + lz4.frame.compress(content[1000:], **kw))
elif kind == "lz4-junk-after-endmark":
    b = rd(log0); pos, n = lz4_batch(b)
    new = b[pos:pos + n] + b"\x00\x00\x00\x00"; struct.pack_into(">i", new, 8, len(new) - 12); fixcrc(new, 0, len(new))
    wr(log0, b[:pos] + new + b[pos + n:])
elif kind == "index-untrimmed":
    b = rd(p(0, ".index")); wr(p(0, ".index"), b + bytes(16))
elif kind == "index-torn":
    b = rd(p(0, ".index")); wr(p(0, ".index"), b[:-3])
elif kind == "index-first-offset":      # base offset of the batch instead of Kafka's lastOffset
    b = rd(p(0, ".index")); assert struct.unpack_from(">i", b, 0)[0] > 0; struct.pack_into(">i", b, 0, 0); wr(p(0, ".index"), b)
elif kind == "index-position":
    b = rd(p(0, ".index")); struct.pack_into(">i", b, 12, struct.unpack_from(">i", b, 12)[0] + 1); wr(p(0, ".index"), b)
elif kind == "timeindex-no-final":
    b = rd(p(0, ".timeindex")); wr(p(0, ".timeindex"), b[:-12])
elif kind == "timeindex-untrimmed":
    b = rd(p(2, ".timeindex")); wr(p(2, ".timeindex"), b + bytes(24))
elif kind == "timeindex-wrong-batch":   # relOffset of another batch than the one holding the timestamp
    b = rd(p(0, ".timeindex")); ix = rd(p(0, ".index"))
    struct.pack_into(">i", b, 8, struct.unpack_from(">i", ix, 8)[0]); wr(p(0, ".timeindex"), b)
elif kind == "timeindex-tie":           # point at the later batch that only ties the maximum
    # Find, in the last segment, a batch whose max equals an earlier batch's max.
    from kafka.record.memory_records import MemoryRecords
    buf = rd(log2); seen = {}; entry = None
    for bt in MemoryRecords(bytes(buf)):
        m = bt.max_timestamp
        if m in seen and m == max(seen): entry = (m, bt.last_offset - int(segs[2]))
        seen[m] = bt.last_offset
    assert entry, "no tie batch"
    ti = rd(p(2, ".timeindex")); ents = [struct.unpack_from(">qi", ti, i) for i in range(0, len(ti), 12)]
    ents = [e for e in ents if e[0] < entry[0]] + [entry]
    wr(p(2, ".timeindex"), b"".join(struct.pack(">qi", *e) for e in ents))
elif kind == "foreign-files":           # files libeventlog or Kafka keep next to the segments are ignored
    wr(os.path.join(d, "eventlog.head"), bytes(4096)); wr(os.path.join(d, "eventlog.lock"), b"123\n")
    wr(os.path.join(d, "leader-epoch-checkpoint"), b"0\n0\n")
else:
    raise SystemExit("unknown mutation " + kind)
PYEOF
    echo "$d"
}

echo "== round trips (writer -> reader -> identical JSON)"
roundtrip java --seed 7 --lz4-framing java --          # strict reader, all frames Java-style
roundtrip mixed --seed 7 -- --lz4 kafka                # default writer: kafka-python + Java frames
roundtrip kp --seed 3 --lz4-framing kafka-python -- --lz4 kafka
roundtrip compacted --seed 7 --compacted -- --allow-gaps --lz4 kafka
for s in 1 2 42 1000; do roundtrip "seed$s" --seed "$s" --lz4-framing java --; done

echo "== determinism"
"$PY" "$WRITE" "$T/again" --seed 7 --json "$T/again.expected.jsonl" >/dev/null
if diff -r "$T/mixed" "$T/again" >/dev/null && cmp -s "$T/mixed.expected.jsonl" "$T/again.expected.jsonl"; then
    pass "same seed gives byte-identical segments, indexes and JSON"
else
    fail "kafka_write.py --seed 7 is not deterministic"
fi
if cmp -s "$T/mixed.expected.jsonl" "$T/java.expected.jsonl"; then
    pass "LZ4 framing does not change the records"
else
    fail "--lz4-framing changed the expected records"
fi

echo "== strictness on writer output"
expect_fail "mixed framing vs strict --lz4" "$T/mixed" "LZ4 FLG is 0x68"
expect_fail "compacted without --allow-gaps" "$T/compacted" "use --allow-gaps" --lz4 kafka

echo "== damaged directories must fail (file and byte position in the message)"
expect_fail "zero-filled tail"       "$(mutate zero-tail zero-tail)"     "zero-filled tail"
expect_fail "5 trailing bytes"       "$(mutate short-tail short-tail)"   "5 trailing bytes"
expect_fail "torn last batch"        "$(mutate torn-tail torn-tail)"     "torn batch"
expect_fail "flipped payload byte"   "$(mutate crc crc)"                 "CRC-32C mismatch"
expect_fail "magic 1"                "$(mutate magic magic)"             "magic is 1"
expect_fail "leader epoch -2"        "$(mutate epoch epoch)"             "partitionLeaderEpoch -2"
expect_fail "producerId set"         "$(mutate pid producer-id)"         "producerId 5"
expect_fail "lastOffsetDelta+1"      "$(mutate lod last-offset-delta)"   "lastOffsetDelta"
expect_fail "maxTimestamp+1"         "$(mutate maxts max-timestamp)"     "maxTimestamp"
expect_fail "attributes high byte"   "$(mutate attrhi attr-high)"        "high byte must be 0"
expect_fail "record attributes"      "$(mutate recattr record-attr)"     "attributes byte is 0x01"
expect_fail "offset gap"             "$(mutate gap offset-gap)"          "offsets must be consecutive"
expect_fail "non-20-digit name"      "$(mutate name segment-name)"       "exactly 20"
expect_fail "segment base off by one" "$(mutate base segment-base)"      "segment base"
expect_fail "orphan index"           "$(mutate orphan orphan-index)"     "index file without"
expect_fail "LZ4 FLG 0x68 (strict)"  "$(mutate flg68 lz4-flg-68)"        "LZ4 FLG is 0x68"
expect_ok   "LZ4 FLG 0x68 (--lz4 kafka)" "$T/m-flg68" --lz4 kafka
expect_fail "LZ4 linked blocks FLG 0x40" "$(mutate linked lz4-linked-flg)" "linked (dependent) blocks" --lz4 kafka
expect_fail "LZ4 linked blocks, FLG says independent" "$(mutate lying lz4-linked-lying)" "does not decompress on its own"
expect_fail "LZ4 large blocks (strict)" "$(mutate bd70 lz4-4mb-blocks)" "LZ4 BD is 0x[5-7]0"
expect_ok   "LZ4 large blocks (--lz4 kafka)" "$T/m-bd70" --lz4 kafka
expect_ok   "LZ4 block+content checksums (--lz4 kafka)" "$(mutate sums lz4-checksums)" --lz4 kafka
expect_fail "LZ4 bad content checksum" "$(mutate badsum lz4-bad-content-checksum)" "content checksum mismatch" --lz4 kafka
expect_fail "LZ4 broken v0 header checksum" "$(mutate hc lz4-bad-hc)"   "KAFKA-3160"
expect_fail "LZ4 two frames"         "$(mutate two lz4-two-frames)"      "after the LZ4 EndMark"
expect_fail "LZ4 junk after EndMark" "$(mutate junk lz4-junk-after-endmark)" "after the LZ4 EndMark"
expect_fail ".index untrimmed"       "$(mutate ixz index-untrimmed)"     "untrimmed index"
expect_fail ".index torn"            "$(mutate ixt index-torn)"          "not a multiple of 8"
expect_fail ".index first offset"    "$(mutate ixf index-first-offset)"  "Kafka expects relOffset"
expect_fail ".index bad position"    "$(mutate ixp index-position)"      "no batch starts"
expect_fail ".timeindex no final entry" "$(mutate tinf timeindex-no-final)" "closed segment"
expect_fail ".timeindex untrimmed"   "$(mutate tiz timeindex-untrimmed)" "untrimmed index"
expect_fail ".timeindex wrong batch" "$(mutate tiw timeindex-wrong-batch)" "batch holding"
expect_fail ".timeindex points at a tie" "$(mutate tie timeindex-tie)"   "first batch reaching the maximum"
expect_ok   "foreign files ignored"  "$(mutate foreign foreign-files)"

echo "== $PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
