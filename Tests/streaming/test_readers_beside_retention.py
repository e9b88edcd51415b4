# SPDX-License-Identifier: Apache-2.0
"""Every read-only command beside a writer that rolls a segment every few
hundred records and a retention process that deletes the oldest segments
as fast as it can; then the same with `eventlog compact` replacing
segments too. DURATION seconds in all. Each command runs again and again
in a process of its own, as users and cron jobs run them.

What must hold: `verify` finds no damage (a segment rolled to while it
ran was reported damaged, its indexes read after its bytes, and so was
one compaction replaced while it ran); `info` and `stats` never fail
(`info` read a segment rolled to while it ran to its preallocated end and
failed with "batchLength 0"); `dump` fails only when retention deletes
records before it prints them, and says which (it failed at its start
with "offset N is before the log start" when retention moved the start
after the log was opened); `tail -f --from 0`, reading slowly, prints
records in order and, without compaction, every one of them but those of
each gap it announces ("--from 0 was before the log start" failed it).

Usage: test_readers_beside_retention.py CLI LIBRARY [DURATION]"""
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
import eventlog_ctypes  # noqa: E402

CLI, LIBRARY = sys.argv[1], sys.argv[2]
DURATION = float(sys.argv[3]) if len(sys.argv) > 3 else 20
root = tempfile.mkdtemp(prefix="eventlog-beside-retention-")
problems, runs, lock = [], {}, threading.Lock()
# Set by each phase (see the end): its log, when it ends, whether it compacts.
path, log, stop_at, compacting = None, None, 0, False
LOST = re.compile(r"offsets (\d+)\.\.<(\d+) were deleted by retention")
# What tail says of a gap: the first offset lost, and where it went on.
GAP = re.compile(r"offsets (\d+)\.\.<\d+ were deleted by retention.*; going on at offset (\d+)$")
LATE_START = re.compile(r"--from 0 is before the log start; going on at offset (\d+)$")


def problem(text):
    with lock:
        problems.append(text)


def counted(name, times=1):
    with lock:
        runs[name] = runs.get(name, 0) + times


def writer():
    # Values start with their offset, then 200 random hex digits that LZ4
    # cannot shrink: a 64 KiB segment holds about 300 records.
    offset = 0
    while time.monotonic() < stop_at:
        for _ in range(200):
            key = f"key-{offset % 300}".encode() if compacting else None
            status = log.append(f"{offset} {os.urandom(100).hex()}".encode(), key)
            if status != 0:
                problem(f"append {offset}: status {status}")
            offset += 1
        log.flush()
    with lock:
        runs["records written"] = runs.get("records written", 0) + offset


def retention():
    while time.monotonic() < stop_at:
        done = subprocess.run([CLI, "retention", path, "--retention-bytes", "400000", "--wait"],
                              capture_output=True, text=True)
        counted("retention")
        if done.returncode != 0:
            problem(f"retention: {done.stderr.strip()}")


def repeat(arguments, allowed_failure=None):
    while time.monotonic() < stop_at:
        done = subprocess.run([CLI, *arguments, path], capture_output=True, text=True)
        counted(arguments[0])
        if done.returncode == 0:
            continue
        if allowed_failure and done.returncode == 1 and allowed_failure.search(done.stderr):
            continue
        problem(f"{' '.join(arguments)}: status {done.returncode}: {done.stderr.strip()} {done.stdout[-600:]}")


def slow_tail():
    while time.monotonic() < stop_at:
        tail = subprocess.Popen([CLI, "tail", "-f", path, "--from", "0", "--values", "--timeout-ms", "2000"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        counted("tail")
        printed = []
        until = min(stop_at, time.monotonic() + 5)
        while time.monotonic() < until:
            line = tail.stdout.readline()
            if not line:
                break
            printed.append(int(line.split(" ", 1)[0]))
            if random.random() < 0.01:
                time.sleep(0.02)  # a slow reader, so that retention overtakes it
        tail.terminate()
        _, said = tail.communicate()
        said = said.splitlines()
        strange = [line for line in said if not GAP.search(line) and not LATE_START.search(line)]
        if strange:
            problem("tail: " + " | ".join(strange[-3:]))
        announced = {int(m.group(1)): int(m.group(2)) for m in map(GAP.search, said) if m}
        counted("tail gaps announced", len(announced))
        starts = [int(m.group(1)) for m in map(LATE_START.search, said) if m]
        start = starts[0] if starts else 0
        if printed and printed[0] != start and announced.get(start) != printed[0] and not (
                compacting and printed[0] > start):
            problem(f"tail --from 0 printed {printed[0]} first; it said {said[:2]}")
        for before, after in zip(printed, printed[1:]):
            if after <= before:
                problem(f"tail: printed {after} after {before}")
            # Compaction leaves gaps of its own, which need no word.
            elif after != before + 1 and not compacting and announced.get(before + 1) != after:
                problem(f"tail: printed {after} after {before}, a gap nobody announced")


def phase(name, seconds, compaction):
    global path, log, stop_at, compacting
    path = os.path.join(root, name)
    log = eventlog_ctypes.Log(LIBRARY, path, segment_bytes=64 << 10)
    stop_at, compacting = time.monotonic() + seconds, compaction
    work = [(writer, ()), (retention, ()), (slow_tail, ()),
            (repeat, (["verify"],)), (repeat, (["info"],)), (repeat, (["stats"],)),
            (repeat, (["dump", "--values"], LOST))]
    if compaction:
        # Compaction replaces segments under the readers (SegmentSwap).
        work.append((repeat, (["compact", "--wait", "--delete-retention-ms", "0"],)))
    threads = [threading.Thread(target=target, args=args) for target, args in work]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    log.close()


phase("retention", DURATION / 2, compaction=False)
phase("compaction", DURATION / 2, compaction=True)
shutil.rmtree(root)
print("runs:", ", ".join(f"{name} {count}" for name, count in sorted(runs.items())))
for text in problems[:20]:
    print("PROBLEM:", text[:1000])
if problems:
    sys.exit(f"{len(problems)} problems")
