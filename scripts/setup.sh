#!/usr/bin/env bash
# Installs what the build and the tests need on a Debian machine that has
# Swift 6 (under /opt/swift or on PATH): the Debian packages with apt-get
# (only those missing, so a second run does nothing) and the Python packages
# that the Kafka interop tests use. Run by scripts/demo.sh and scripts/test.sh;
# needs root (or sudo) only when something is missing.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

sudo=""
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null; then sudo=sudo; fi

# lz4 for the library, librdkafka for `eventlog ship` and `import` (and the
# mock Kafka cluster of their tests), CMake/Ninja/pkg-config for the build and
# the install test, util-linux (unshare) for the static-runtime test, the
# peers of the benchmark (SQLite, LMDB, RocksDB).
packages=(liblz4-dev librdkafka-dev cmake ninja-build pkg-config gcc libc6-dev binutils util-linux python3
          libsqlite3-dev liblmdb-dev librocksdb-dev)
command -v python3 >/dev/null && python3 -m pip --version >/dev/null 2>&1 || packages+=(python3-pip)
missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'ok installed' || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]}"
    $sudo apt-get update -qq
    $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Python packages for Tests/interop. A Debian system Python refuses pip
# installs outside a virtual environment unless told otherwise; pyenv's
# Python needs no flag.
if ! python3 -c 'import kafka, lz4, crc32c, pytest' 2>/dev/null; then
    pip_args=(install --quiet --disable-pip-version-check kafka-python==3.0.12 lz4 crc32c pytest)
    if python3 -c 'import os, sys, sysconfig
sys.exit(0 if sys.prefix == sys.base_prefix and os.path.exists(
    os.path.join(sysconfig.get_path("stdlib"), "EXTERNALLY-MANAGED")) else 1)'; then
        pip_args+=(--break-system-packages)
    fi
    [ "$(id -u)" -eq 0 ] && pip_args+=(--root-user-action=ignore)
    python3 -m pip "${pip_args[@]}"
fi
