#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The installed libeventlog.so and bin/eventlog run on a machine without the
# Swift toolchain: the default build links the Swift runtime into both. Checks
# what they need (NEEDED: only libc, libm, libstdc++, libgcc_s, liblz4 and the
# dynamic loader, and librdkafka for the tool, which ships to Kafka; no
# RUNPATH at all), then installs the build into a
# temporary prefix, builds examples-c/quickstart.c against it with cc, and
# runs it and the tool (--version, append, dump) with the toolchain hidden by
# an empty tmpfs in a private mount namespace (needs root: skipped
# otherwise).
#   test_no_toolchain.sh BUILD_DIR SOURCE_DIR SWIFT_ROOT
set -eu
build=$1 src=$2 swift_root=$3

if ! unshare -m true 2>/dev/null; then
    echo "SKIP: unshare -m is not permitted here (needs root or CAP_SYS_ADMIN)"
    exit 77
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix
cmake --install "$build" --prefix "$prefix" >"$tmp/install.log"
lib=$(find "$prefix" -name 'libeventlog.so.*.*.*' | head -1)
cli=$prefix/bin/eventlog
status=0

# Allowed dependencies, by SONAME.
allowed='^(libc\.so\.6|libm\.so\.6|libstdc\+\+\.so\.6|libgcc_s\.so\.1|liblz4\.so\.1|ld-linux-x86-64\.so\.2|libdl\.so\.2|libpthread\.so\.0|librt\.so\.1|libutil\.so\.1)$'
for file in "$lib" "$cli"; do
    [ -e "$file" ] || continue
    allowed_here=$allowed
    # The tool's ship and import go through librdkafka; the library never.
    [ "$file" = "$cli" ] && allowed_here=$(echo "$allowed" | sed 's/)\$$/|librdkafka\\.so\\.1)$/')
    needed=$(readelf -d "$file" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
    runpath=$(readelf -d "$file" | sed -n 's/.*(R\(UN\)*PATH).*\[\(.*\)\]/\2/p')
    echo "$(basename "$file"): $(stat -c %s "$file") bytes installed; NEEDED: $(echo $needed); RUNPATH: ${runpath:-none}"
    for name in $needed; do
        if ! echo "$name" | grep -Eq "$allowed_here"; then
            echo "FAIL: $(basename "$file") needs $name"
            status=1
        fi
    done
    if [ -n "$runpath" ]; then
        echo "FAIL: $(basename "$file") has a RUNPATH: $runpath"
        status=1
    fi
done
[ $status = 0 ] || exit 1

cc -std=c11 -Wall -Werror -o "$tmp/quickstart" "$src/examples-c/quickstart.c" \
    -I"$prefix/include" -L"$(dirname "$lib")" -leventlog -Wl,-rpath,"$(dirname "$lib")"

hidden() {
    unshare -m sh -c 'mount -t tmpfs none "$0" && exec "$@"' "$swift_root" "$@"
}
if hidden test -e "$swift_root/usr/bin/swift"; then
    echo "FAIL: $swift_root is still visible in the namespace"
    exit 1
fi
echo "--- with $swift_root hidden: quickstart"
hidden "$tmp/quickstart" "$tmp/log-c"
if [ -e "$cli" ]; then
    echo "--- with $swift_root hidden: eventlog --version, append, dump"
    hidden "$cli" --version
    printf 'one\ntwo\n' | hidden "$cli" append "$tmp/log-cli"
    hidden "$cli" dump "$tmp/log-cli" >"$tmp/dump.out"
    cat "$tmp/dump.out"
    test "$(wc -l <"$tmp/dump.out")" -eq 2
    grep -q '"value":"two"' "$tmp/dump.out"
fi
echo "no_toolchain OK"
