#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds the `eventlog` tool as it was before compaction ran on every core
# and read each batch once (commit bdf17c8, whose compactor read 57 MB/s
# when the 5x goal of bench/README.md was set), for eventlog_bench
# --first-compactor: the goal is a multiple of that compactor's rate, and
# this machine's speed drifts by a third between runs, so the two are timed
# side by side on the same log. Needs the repository's history (a clone,
# not an export). Prints the tool's path.
#
# usage: bench/build_first_compactor.sh [BUILD_DIR]   (default build/first-compactor)
set -euo pipefail

commit=bdf17c8
root=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
out=$(realpath -m "${1:-$root/build/first-compactor}")
tool="$out/eventlog"
if [ -x "$tool" ]; then
    echo "$tool"
    exit 0
fi
source="$out/source"
rm -rf "$source"
mkdir -p "$out"
git -C "$root" archive --format=tar --prefix=source/ "$commit" | tar -x -C "$out"
(cd "$source" && swift build -c release --product eventlog-cli >&2)
cp "$source/.build/release/eventlog-cli" "$tool"
rm -rf "$source"
echo "$tool"
