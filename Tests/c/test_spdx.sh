#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Every source file carries "SPDX-License-Identifier: Apache-2.0" (see
# scripts/add-spdx.sh for which files count). While Tests/.spdx-pending
# exists the files still lacking it are listed and the test is skipped:
# running scripts/add-spdx.sh adds the lines, then the marker is deleted.
#   test_spdx.sh SOURCE_DIR
set -eu
src=$1
out=$(mktemp)
trap 'rm -f "$out"' EXIT
if bash "$src/scripts/add-spdx.sh" --check >"$out" 2>&1; then
    cat "$out"
    exit 0
fi
tail -1 "$out"
if [ -e "$src/Tests/.spdx-pending" ]; then
    echo "SKIP: Tests/.spdx-pending exists; run scripts/add-spdx.sh, then delete it"
    exit 77
fi
echo "FAIL: run scripts/add-spdx.sh --check for the list, scripts/add-spdx.sh to add the lines"
exit 1
