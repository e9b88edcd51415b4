#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs what is missing on a Debian machine that has Swift 6 (under
# /opt/swift or on PATH), with apt-get (only missing packages, so a second
# run does nothing; needs root or sudo only then):
#   scripts/setup.sh build   what the build needs (scripts/demo.sh)
#   scripts/setup.sh         the build's packages and what the tests need
#                            (scripts/test.sh): the benchmark's peers (SQLite,
#                            LMDB, RocksDB), groff for the man page check,
#                            and the Python packages of the Kafka interop
#                            tests, with pip
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
what=${1:-test}

sudo=""
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null; then sudo=sudo; fi

# lz4 for the library, librdkafka for `eventlog ship` and `import`; CMake,
# Ninja, a C compiler and binutils for the build; python3 writes the man
# pages from the tool's help.
packages=(liblz4-dev librdkafka-dev cmake ninja-build pkg-config gcc libc6-dev binutils python3)
if [ "$what" != build ]; then
    # pkg-config and dpkg-deb for the install and package tests, util-linux
    # (unshare) for the run without the toolchain, groff for the man pages,
    # the peers of the benchmark.
    packages+=(util-linux dpkg groff-base libsqlite3-dev liblmdb-dev librocksdb-dev)
    # A real browser for the eventlog-serve page test (driven by Selenium).
    packages+=(chromium chromium-driver)
    command -v python3 >/dev/null && python3 -m pip --version >/dev/null 2>&1 || packages+=(python3-pip)
fi
missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'ok installed' || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]}"
    $sudo apt-get update -qq
    $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
[ "$what" != build ] || exit 0

# Python packages for Tests/interop. A Debian system Python refuses pip
# installs outside a virtual environment unless given
# --break-system-packages; pyenv's Python needs no flag.
if ! python3 -c 'import kafka, lz4, crc32c, pytest, websockets, selenium' 2>/dev/null; then
    pip_args=(install --quiet --disable-pip-version-check kafka-python==3.0.12 lz4 crc32c pytest websockets selenium)
    if python3 -c 'import os, sys, sysconfig
sys.exit(0 if sys.prefix == sys.base_prefix and os.path.exists(
    os.path.join(sysconfig.get_path("stdlib"), "EXTERNALLY-MANAGED")) else 1)'; then
        echo "setup: installing kafka-python, lz4, crc32c, pytest, websockets and selenium into the system" \
            "Python ($(command -v python3)) with pip --break-system-packages, for the interop and serve tests"
        pip_args+=(--break-system-packages)
    else
        echo "setup: installing kafka-python, lz4, crc32c, pytest, websockets and selenium with pip into $(python3 -c 'import sys; print(sys.prefix)')"
    fi
    [ "$(id -u)" -eq 0 ] && pip_args+=(--root-user-action=ignore)
    python3 -m pip "${pip_args[@]}"
fi
