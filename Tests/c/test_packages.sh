#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The Debian packages as a user gets them: builds them with CPack, checks
# their names, contents and Depends, unpacks them into a throwaway root with
# dpkg -x, then builds examples-c/quickstart.c against that root only
# (pkg-config with the root's eventlog.pc) and runs it, and runs the packaged
# tool (--version, append, dump), with LD_LIBRARY_PATH into the root.
#   test_packages.sh BUILD_DIR SOURCE_DIR VERSION SONAME
set -eu
build=$1 src=$2 version=$3 soname=$4
if ! command -v dpkg-deb >/dev/null; then
    echo "SKIP: dpkg-deb is not installed (not a Debian system)"
    exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cpack --config "$build/CPackConfig.cmake" -B "$tmp/packages" >"$tmp/cpack.log" 2>&1 ||
    { cat "$tmp/cpack.log"; exit 1; }
status=0
for deb in "$tmp"/packages/*.deb; do
    name=$(dpkg-deb -f "$deb" Package)
    echo "$(basename "$deb"): $(stat -c %s "$deb") bytes; Installed-Size $(dpkg-deb -f "$deb" Installed-Size) KiB;" \
        "Depends: $(dpkg-deb -f "$deb" Depends)"
    dpkg-deb -c "$deb" | sed -n 's|^.* \./\(.*[^/]\)$|  \1|p'
    case $name in
    libeventlog0 | libeventlog-dev | eventlog-tools) echo "$name" >>"$tmp/names" ;;
    *) echo "FAIL: unexpected package $name"; status=1 ;;
    esac
    dpkg -x "$deb" "$tmp/root"
done
for name in libeventlog0 libeventlog-dev eventlog-tools; do
    grep -qx "$name" "$tmp/names" || { echo "FAIL: no package $name"; status=1; }
done
depends() { dpkg-deb -f "$tmp"/packages/"$1"_*.deb Depends; }
depends libeventlog0 | grep -q 'liblz4-1' || { echo "FAIL: libeventlog0 does not depend on liblz4-1"; status=1; }
depends libeventlog-dev | grep -q "libeventlog0 (= $version)" ||
    { echo "FAIL: libeventlog-dev does not depend on libeventlog0 (= $version)"; status=1; }
depends eventlog-tools | grep -q 'liblz4-1' || { echo "FAIL: eventlog-tools does not depend on liblz4-1"; status=1; }
[ $status = 0 ] || exit 1

root=$tmp/root
lib=$(find "$root" -name "$soname")
libdir=$(dirname "$lib")
test -L "$libdir/$soname" && test -f "$libdir/libeventlog.so.$version" && test -L "$libdir/libeventlog.so"
dpkg-deb -c "$tmp"/packages/libeventlog0_*.deb >"$tmp/runtime.list"
grep -q "libeventlog.so.$version\$" "$tmp/runtime.list" && ! grep -q 'libeventlog\.so ' "$tmp/runtime.list" ||
    { echo "FAIL: libeventlog0 must hold the versioned files only"; exit 1; }
test -f "$root/usr/include/eventlog.h"
test -f "$root/usr/share/man/man3/libeventlog.3"
test -x "$root/usr/bin/eventlog"
test -f "$root/usr/share/man/man1/eventlog.1"
test -f "$root/usr/share/bash-completion/completions/eventlog"

pcdir=$(dirname "$(find "$root" -name eventlog.pc)")
export PKG_CONFIG_LIBDIR="$pcdir"
unset PKG_CONFIG_PATH
flags=$(pkg-config --cflags --libs eventlog)
echo "--- pkg-config from the root: $flags"
case "$flags" in *"$root"*) ;; *) echo "FAIL: pkg-config flags do not point into the root"; exit 1 ;; esac
# shellcheck disable=SC2086 # pkg-config output is meant to be split
cc -std=c11 -Wall -Werror -o "$tmp/quickstart" "$src/examples-c/quickstart.c" $flags
LD_LIBRARY_PATH=$libdir "$tmp/quickstart" "$tmp/log-c"
LD_LIBRARY_PATH=$libdir ldd "$tmp/quickstart" | grep -q "$libdir/$soname" ||
    { echo "FAIL: quickstart does not load the root's $soname"; exit 1; }

echo "--- the packaged eventlog"
LD_LIBRARY_PATH=$libdir "$root/usr/bin/eventlog" --version | grep -qx "$version"
printf 'one\ntwo\n' | LD_LIBRARY_PATH=$libdir "$root/usr/bin/eventlog" append "$tmp/log-cli"
LD_LIBRARY_PATH=$libdir "$root/usr/bin/eventlog" dump "$tmp/log-cli" >"$tmp/dump.out"
cat "$tmp/dump.out"
test "$(wc -l <"$tmp/dump.out")" -eq 2
echo "packages OK"
