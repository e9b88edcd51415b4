#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds libeventlog and the C demo with CMake (in build/, or
# $EVENTLOG_BUILD_DIR), then runs examples-c/demo on a new log in a temporary
# directory, removed afterwards. Usage: scripts/demo.sh [N]  (N events,
# default 10000)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if ! command -v swift >/dev/null && [ -x /opt/swift/usr/bin/swift ]; then
    export PATH=/opt/swift/usr/bin:$PATH
fi
"$root/scripts/setup.sh" build
build=${EVENTLOG_BUILD_DIR:-$root/build}

if [ ! -f "$build/CMakeCache.txt" ]; then
    cmake -S "$root" -B "$build" -G Ninja >/dev/null
fi
cmake --build "$build" --target demo
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$build/examples-c/demo" "$tmp/log" "$@"
