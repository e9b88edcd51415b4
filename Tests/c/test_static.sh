#!/bin/sh
# EVENTLOG_STATIC_STDLIB=ON gives a libeventlog.so that carries the Swift
# runtime: a C program runs on a machine without the Swift toolchain. Checked
# by hiding the toolchain in a private mount namespace.
#   test_static.sh SOURCE_DIR STATIC_BUILD_DIR SWIFT_ROOT [DYNAMIC_QUICKSTART]
# DYNAMIC_QUICKSTART, from the ordinary build, must fail the same way, which
# shows the toolchain really was hidden.
set -eu
src=$1 build=$2 swift_root=$3 dynamic=${4:-}

if ! unshare -m true 2>/dev/null; then
    echo "SKIP: unshare -m is not permitted here (needs root or CAP_SYS_ADMIN)"
    exit 77
fi

cmake -S "$src" -B "$build" -G Ninja -DEVENTLOG_STATIC_STDLIB=ON \
    -DEVENTLOG_BUILD_CLI=OFF -DEVENTLOG_ABI_CHECK=OFF -DBUILD_TESTING=OFF >/dev/null
cmake --build "$build" --target quickstart

lib=$build/swiftpm-static/release/libeventlog.so
needed=$(readelf -d "$lib" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')
runpath=$(readelf -d "$lib" | sed -n 's/.*(RUNPATH).*\[\(.*\)\]/\1/p')
echo "static libeventlog.so: $(stat -c %s "$lib") bytes; NEEDED: $needed; RUNPATH: ${runpath:-none}"
case "$needed" in *libswift*)
    echo "FAIL: the static-stdlib library still needs the Swift runtime"
    exit 1
esac

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
hidden() {
    unshare -m sh -c 'mount -t tmpfs none "$0" && exec "$@"' "$swift_root" "$@"
}
if hidden test -e "$swift_root/usr/bin/swift"; then
    echo "FAIL: $swift_root is still visible in the namespace"
    exit 1
fi
if [ -n "$dynamic" ]; then
    if hidden "$dynamic" "$tmp/dynamic" >"$tmp/dynamic.out" 2>&1; then
        echo "FAIL: the dynamically linked quickstart ran without the toolchain; the check proves nothing"
        exit 1
    fi
    echo "dynamically linked quickstart with $swift_root hidden fails, as it should: $(head -1 "$tmp/dynamic.out")"
fi
echo "quickstart with $swift_root hidden:"
hidden "$build/examples-c/quickstart" "$tmp/log"
echo "static OK"
