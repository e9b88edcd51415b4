#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Builds examples-swift, a separate SwiftPM package that depends on this
# repository by path as an application would, and runs it on a new log.
#   test_swift_package.sh SOURCE_DIR SCRATCH_DIR
set -eu
src=$1 scratch=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
swift build --package-path "$src/examples-swift" --scratch-path "$scratch"
bin=$(swift build --package-path "$src/examples-swift" --scratch-path "$scratch" --show-bin-path)
"$bin/eventlog-example" "$tmp/log"
