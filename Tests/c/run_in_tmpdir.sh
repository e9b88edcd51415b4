#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Runs PROGRAM with a new log directory as its first argument, then removes
# it: run_in_tmpdir.sh PROGRAM [ARGS...]
set -eu
program=$1
shift
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$program" "$tmp/log" "$@"
