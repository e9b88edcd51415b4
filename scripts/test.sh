#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The one test entry point, for developers and CI: configures and builds with
# CMake and Ninja in build/ (or $EVENTLOG_BUILD_DIR), then runs every ctest
# test: the C API tests, the examples, the export, ABI, licence and install
# checks, the installed library and tool run with the toolchain hidden, the
# man pages, the Debian packages, `swift test`, examples-swift and
# Tests/interop. Exits non-zero if the build or any test fails. A second run
# only rebuilds what changed. Arguments go to ctest:
#   scripts/test.sh              everything
#   scripts/test.sh -LE swift    all but the SwiftPM test builds
#   scripts/test.sh -L c         the C tests only
#   scripts/test.sh -L docs      the DocC and C reference builds
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if ! command -v swift >/dev/null && [ -x /opt/swift/usr/bin/swift ]; then
    export PATH=/opt/swift/usr/bin:$PATH
fi
"$root/scripts/setup.sh"
build=${EVENTLOG_BUILD_DIR:-$root/build}

# The benchmark's quick mode is part of the suite (setup.sh installed its
# peers: SQLite, LMDB, RocksDB).
if [ -f "$build/CMakeCache.txt" ]; then
    cmake -S "$root" -B "$build" -DEVENTLOG_BUILD_BENCH=ON
else
    cmake -S "$root" -B "$build" -G Ninja -DEVENTLOG_BUILD_BENCH=ON
fi
cmake --build "$build"
# One test at a time: the SwiftPM tests use both cores, and the C tests
# measure timeouts.
ctest --test-dir "$build" --output-on-failure "$@"
