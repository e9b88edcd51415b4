#!/bin/sh
# What a C linker sees in libeventlog.so: the SONAME that programs record as
# NEEDED, exported functions that are exactly the C API, and no librdkafka
# among the libraries it needs (only the `eventlog` tool ships to Kafka).
#   test_exports.sh LIBRARY HEADER            every export is eventlog_* and
#                                             declared in HEADER; SONAME set
#   test_exports.sh --complete LIBRARY HEADER also: every function HEADER
#                                             declares is exported
set -eu
complete=no
if [ "${1:-}" = --complete ]; then complete=yes; shift; fi
lib=$1 header=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Functions the header declares: EVENTLOG_API <type> eventlog_x(
sed -n 's/^EVENTLOG_API[^(]*[ *]\(eventlog_[a-z0-9_]*\)(.*/\1/p' "$header" | sort -u >"$tmp/declared"
nm -D --defined-only "$lib" | awk '{ print $(NF-1), $NF }' | sort -k2 >"$tmp/nm"
awk '{ print $2 }' "$tmp/nm" | sort -u >"$tmp/exported"
status=0

soname=$(readelf -d "$lib" | sed -n 's/.*(SONAME).*\[\(.*\)\].*/\1/p')
if [ "$soname" = libeventlog.so ]; then
    echo "SONAME libeventlog.so"
else
    echo "FAIL: SONAME is '${soname:-missing}', expected libeventlog.so"
    status=1
fi

# ldd: also what the needed libraries need in turn.
if ldd "$lib" | grep rdkafka; then
    echo "FAIL: the library needs librdkafka; keep EventLogKafka out of the eventlog product"
    status=1
else
    echo "ldd: no librdkafka"
fi

echo "$(wc -l <"$tmp/exported") exported symbols, $(wc -l <"$tmp/declared") functions declared in $(basename "$header")"
if [ ! -s "$tmp/exported" ]; then
    echo "FAIL: the library exports nothing"
    status=1
fi
if grep -v ' eventlog_' "$tmp/nm" >"$tmp/foreign"; then
    echo "FAIL: $(wc -l <"$tmp/foreign") dynamic symbols outside the C API (check cmake/exports.map;"
    echo "      lower-case types are local entries that the gold linker keeps, see EVENTLOG_SWIFT_LINKER):"
    head -20 "$tmp/foreign" | sed 's/^/  /'
    status=1
fi
if grep '^eventlog_' "$tmp/exported" | comm -23 - "$tmp/declared" >"$tmp/undeclared" && [ -s "$tmp/undeclared" ]; then
    echo "FAIL: exported but not declared in the header (make them hidden or static):"
    sed 's/^/  /' "$tmp/undeclared"
    status=1
fi
comm -13 "$tmp/exported" "$tmp/declared" >"$tmp/missing"
if [ -s "$tmp/missing" ]; then
    if [ $complete = yes ]; then
        echo "FAIL: declared in the header but not exported (an internal @c function?):"
        status=1
    else
        echo "note: declared in the header but not exported yet:"
    fi
    sed 's/^/  /' "$tmp/missing"
fi
[ $status = 0 ] && echo "exports OK"
exit $status
