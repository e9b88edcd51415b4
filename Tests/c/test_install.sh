#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Installs the build into a temporary prefix, moves the prefix elsewhere (the
# package must be relocatable), then builds the C examples against it as a
# user would, twice, and runs quickstart from both:
#   1. a fresh CMake project: find_package(eventlog) via CMAKE_PREFIX_PATH;
#   2. pkg-config and cc directly.
# The library is installed as the chain libeventlog.so -> SONAME ->
# libeventlog.so.VERSION, and the programs record the SONAME.
#   test_install.sh BUILD_DIR SOURCE_DIR VERSION SONAME
set -eu
build=$1 src=$2 version=$3 soname=$4
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cmake --install "$build" --prefix "$tmp/staged" >"$tmp/install.log"
mv "$tmp/staged" "$tmp/prefix"
prefix=$tmp/prefix
echo "installed:"
(cd "$prefix" && find . -type f -o -type l | sort | sed 's|^\./|  |')

lib=$(find "$prefix" -name libeventlog.so | head -1)
pcdir=$(dirname "$(find "$prefix" -name eventlog.pc | head -1)")
test -f "$prefix/include/eventlog.h"
test -n "$lib"
libdir=$(dirname "$lib")
test "$(readlink "$libdir/libeventlog.so")" = "$soname"
test "$(readlink "$libdir/$soname")" = "libeventlog.so.$version"
test -f "$libdir/libeventlog.so.$version" && ! test -L "$libdir/libeventlog.so.$version"
echo "chain: libeventlog.so -> $soname -> libeventlog.so.$version"
test -f "$pcdir/eventlog.pc"
test -f "$(dirname "$lib")/cmake/eventlog/eventlogConfig.cmake"
if [ -e "$build/eventlog" ]; then
    test -x "$prefix/bin/eventlog"
fi

echo "--- find_package(eventlog) from $prefix"
cmake -S "$src/examples-c" -B "$tmp/with-cmake" -G Ninja \
    -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release >"$tmp/configure.log" ||
    { cat "$tmp/configure.log"; exit 1; }
cmake --build "$tmp/with-cmake" >"$tmp/build.log" || { cat "$tmp/build.log"; exit 1; }
"$tmp/with-cmake/quickstart" "$tmp/log-cmake"

echo "--- pkg-config eventlog: $(PKG_CONFIG_PATH=$pcdir pkg-config --cflags --libs eventlog)"
PKG_CONFIG_PATH=$pcdir
export PKG_CONFIG_PATH
test "$(pkg-config --modversion eventlog)" = "$version"
# shellcheck disable=SC2046 # pkg-config output is meant to be split
cc -std=c11 -Wall -Werror -o "$tmp/quickstart-pc" "$src/examples-c/quickstart.c" \
    $(pkg-config --cflags --libs eventlog) -Wl,-rpath,"$(pkg-config --variable=libdir eventlog)"
"$tmp/quickstart-pc" "$tmp/log-pkg-config"

# Both programs record the SONAME, not a path.
for program in "$tmp/with-cmake/quickstart" "$tmp/quickstart-pc"; do
    readelf -d "$program" | grep -q "NEEDED.*\[$soname\]" ||
        { echo "FAIL: $program does not record NEEDED $soname"; exit 1; }
done
echo "install OK"
