#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# An example program asked for --help (or -h) prints its usage on stdout and
# exits 0; given a wrong command line it prints the usage on stderr and
# exits 2, with nothing on stdout.
# Usage: test_example_help.sh PROGRAM NAME [WRONG-ARGUMENT...]
set -u
program=$1
name=$2
shift 2
out=$(mktemp)
err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT
fail() { echo "$name: $*" >&2; exit 1; }

for flag in --help -h; do
    "$program" "$flag" >"$out" 2>"$err"
    status=$?
    [ "$status" -eq 0 ] || fail "$flag exited $status"
    grep -q "^usage: $name" "$out" || fail "$flag printed no usage on stdout: $(cat "$out")"
    [ ! -s "$err" ] || fail "$flag wrote to stderr: $(cat "$err")"
done

"$program" "$@" >"$out" 2>"$err"
status=$?
[ "$status" -eq 2 ] || fail "'$*' exited $status, not 2"
grep -q "$name" "$err" || fail "'$*' named nothing on stderr"
[ ! -s "$out" ] || fail "'$*' wrote to stdout: $(cat "$out")"
echo "$name: ok"
