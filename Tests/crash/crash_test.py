#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""SIGKILL crash test: starts crash_writer, kills it at a random moment,
checks the log with crash_check, and does it again, on the same log.

Each cycle: the writer opens the log (recovering it after the last kill),
appends and makes batches durable, and prints "ACK <next offset>" after each;
it is killed after a random 0-300 ms (so kills land in open and recovery,
appends, rolls and syncs). Then crash_check verifies that every acknowledged
offset is there with its exact bytes, that nothing after it is garbage, and,
on a writable open, that the log continues at the right offset and verifies
sound. Cycles alternate the sync mode (EVENTLOG_SYNC_BATCH + eventlog_flush)
and eventlog_sync after each batch, on one log each; odd cycles check with a
read-only open first, so that the next writer does the recovery itself.

    crash_test.py --writer PATH --checker PATH [--cycles N] [--seed S] [--dir D]

The number of cycles defaults to $EVENTLOG_CRASH_CYCLES or 50.
"""
import argparse
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time


def run_cycle(args, rng, directory, mode, cycle, totals):
    seed = rng.randrange(1 << 62)
    writer = subprocess.Popen(
        [args.writer, directory, mode, str(seed)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    # Mostly mid-stream kills; some right after start, during open/recovery.
    delay = rng.choice([0.0, 0.002, 0.01]) if rng.random() < 0.2 else rng.uniform(0.02, 0.3)
    time.sleep(delay)
    writer.send_signal(signal.SIGKILL)
    out, err = writer.communicate()
    if writer.returncode != -signal.SIGKILL:
        sys.exit(f"cycle {cycle}: the writer ended on its own ({writer.returncode}): {err.decode(errors='replace')}")
    acked = 0
    opened_at = None
    for line in out.decode().splitlines():
        word, _, value = line.partition(" ")
        if word == "ACK":
            acked = max(acked, int(value))
        elif word == "OPEN":
            opened_at = int(value)
    if opened_at is not None and opened_at < totals["acked"]:
        sys.exit(f"cycle {cycle}: the writer reopened at offset {opened_at}, "
                 f"below the {totals['acked']} records acknowledged before")
    totals["acked"] = max(totals["acked"], acked)
    checks = ["readonly", "writable"] if cycle % 2 else ["writable"]
    if cycle % 4 == 3:
        checks = ["readonly"]  # the next writer recovers the log itself
    for check in checks:
        result = subprocess.run(
            [args.checker, directory, str(totals["acked"]), check], capture_output=True, text=True)
        if result.returncode != 0 or not result.stdout.startswith("OK"):
            keep = os.path.join(args.keep, f"failed-{mode}-cycle{cycle}")
            shutil.copytree(directory, keep, dirs_exist_ok=True)
            sys.exit(f"cycle {cycle} ({mode}, killed after {delay * 1000:.0f} ms, {acked} acked, "
                     f"{check} check): {result.stdout.strip()} {result.stderr.strip()} (log kept in {keep})")
        _, records, open_ms = result.stdout.split()
        totals["verified"] += int(records)
        totals["open_ms"] = max(totals["open_ms"], float(open_ms)) if check == "writable" else totals["open_ms"]
    totals["records"] = max(totals["records"], acked)
    return acked


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--writer", required=True)
    parser.add_argument("--checker", required=True)
    parser.add_argument("--cycles", type=int, default=int(os.environ.get("EVENTLOG_CRASH_CYCLES", "50")))
    parser.add_argument("--seed", type=int, default=int(os.environ.get("EVENTLOG_CRASH_SEED", str(int(time.time())))))
    parser.add_argument("--dir", default=None, help="where the logs go (default: a new temporary directory)")
    args = parser.parse_args()
    base = args.dir or tempfile.mkdtemp(prefix="eventlog-crash-")
    os.makedirs(base, exist_ok=True)
    args.keep = base
    rng = random.Random(args.seed)
    started = time.monotonic()
    summary = []
    for mode in ["batch", "sync"]:
        directory = os.path.join(base, mode)
        shutil.rmtree(directory, ignore_errors=True)
        totals = {"acked": 0, "verified": 0, "records": 0, "open_ms": 0.0}
        cycles = (args.cycles + 1) // 2 if mode == "batch" else args.cycles // 2
        for cycle in range(cycles):
            run_cycle(args, rng, directory, mode, cycle, totals)
        summary.append(f"{mode}: {cycles} kills, {totals['acked']} records acknowledged, "
                       f"{totals['verified']} record reads verified, slowest writable open {totals['open_ms']:.1f} ms")
        shutil.rmtree(directory, ignore_errors=True)
    if not args.dir:
        shutil.rmtree(base, ignore_errors=True)
    print(f"crash test passed (seed {args.seed}, {time.monotonic() - started:.1f} s)")
    for line in summary:
        print("  " + line)


if __name__ == "__main__":
    main()
