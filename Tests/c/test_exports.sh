#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# What a C linker sees in libeventlog.so: the SONAME that programs record as
# NEEDED, exported functions that are exactly the C API, each with the
# symbol version of cmake/exports.map, and no librdkafka among the libraries
# it needs (only the `eventlog` tool ships to Kafka).
#   test_exports.sh LIBRARY HEADER SONAME VERSION
#                      every export is eventlog_*@@VERSION and declared in
#                      HEADER; the SONAME is SONAME
#   test_exports.sh --complete LIBRARY HEADER SONAME VERSION
#                      also: every function HEADER declares is exported
set -eu
complete=no
if [ "${1:-}" = --complete ]; then complete=yes; shift; fi
lib=$1 header=$2 want_soname=$3 version=$4
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Functions the header declares: EVENTLOG_API <type> eventlog_x(
sed -n 's/^EVENTLOG_API[^(]*[ *]\(eventlog_[a-z0-9_]*\)(.*/\1/p' "$header" | sort -u >"$tmp/declared"
# "<type> <name>@@<version>"; the version node itself is an absolute symbol
# named like the version.
nm -D --defined-only "$lib" | awk '{ print $(NF-1), $NF }' | sort -k2 >"$tmp/nm"
grep -v "^A $version\$" "$tmp/nm" >"$tmp/symbols" || true
sed 's/@.*//' "$tmp/symbols" | awk '{ print $2 }' | sort -u >"$tmp/exported"
status=0

soname=$(readelf -d "$lib" | sed -n 's/.*(SONAME).*\[\(.*\)\].*/\1/p')
if [ "$soname" = "$want_soname" ]; then
    echo "SONAME $soname"
else
    echo "FAIL: SONAME is '${soname:-missing}', expected $want_soname"
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
if grep -v ' eventlog_' "$tmp/symbols" >"$tmp/foreign"; then
    echo "FAIL: $(wc -l <"$tmp/foreign") dynamic symbols outside the C API (check cmake/exports.map;"
    echo "      lower-case types are local entries that the gold linker keeps, see EVENTLOG_SWIFT_LINKER):"
    head -20 "$tmp/foreign" | sed 's/^/  /'
    status=1
fi
if grep -v "@@$version\$" "$tmp/symbols" >"$tmp/unversioned"; then
    echo "FAIL: exports without the default version $version:"
    head -20 "$tmp/unversioned" | sed 's/^/  /'
    status=1
else
    echo "every export has version $version"
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
