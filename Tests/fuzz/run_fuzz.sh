#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Fuzzes the batch and record decoders, the segment scanner and verify's
# segment check (Tests/fuzz/FuzzBatchDecoder) with libFuzzer and
# AddressSanitizer for a bounded time, starting from Tests/fuzz/corpus.
# Exits non-zero on any crash, leak of bounds, trap or timeout; the input
# that caused it is kept and its path printed (replay it with a plain build:
# `swift run FuzzBatchDecoder <file>`).
#
#   Tests/fuzz/run_fuzz.sh [SECONDS]     default $EVENTLOG_FUZZ_SECONDS or 30
#
# Builds in $EVENTLOG_FUZZ_SCRATCH (default .build-fuzz): sanitizer builds
# need a scratch directory of their own.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
seconds=${1:-${EVENTLOG_FUZZ_SECONDS:-30}}
scratch=${EVENTLOG_FUZZ_SCRATCH:-$root/.build-fuzz}
swift=${SWIFT:-swift}

# libFuzzer supplies main; -DFUZZING drops the target's replaying main.
"$swift" build -c release --package-path "$root" --scratch-path "$scratch" --product FuzzBatchDecoder \
    --sanitize=fuzzer --sanitize=address -Xswiftc -DFUZZING -Xswiftc -g 2>&1 \
    | grep -v "Cannot export local symbol" || true
binary="$scratch/release/FuzzBatchDecoder"
[ -x "$binary" ] || { echo "run_fuzz.sh: the fuzz build failed" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/eventlog-fuzz-XXXXXX")
mkdir "$work/corpus"
cp "$root"/Tests/fuzz/corpus/* "$work/corpus/"
# New inputs go to the first directory (a copy), never into the repository.
# Swift's own crash handler would run inside ASan's; libFuzzer reports instead.
status=0
SWIFT_BACKTRACE=enable=no ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 \
    "$binary" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
    -print_final_stats=1 -artifact_prefix="$work/" "$work/corpus" >"$work/log" 2>&1 || status=$?
grep -E "^(#[0-9]+ *DONE|stat::|Done)" "$work/log" || true
if [ "$status" -ne 0 ]; then
    tail -60 "$work/log"
    echo "run_fuzz.sh: failed (status $status); inputs and log kept in $work" >&2
    exit 1
fi
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log")
speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/log")
echo "fuzzed ${seconds}s: ${execs:-?} inputs, ${speed:-?}/s, corpus of $(ls "$work/corpus" | wc -l) inputs; no crash"
rm -rf "$work"
