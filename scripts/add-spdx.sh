#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Adds the line "SPDX-License-Identifier: Apache-2.0", as a comment, to every
# source file that lacks it: Swift, C, headers, CMake, shell and Python files
# under Sources/, Tests/, include/, examples-c/, examples-swift/, bench/,
# scripts/, cmake/ and .ci/, and the top-level CMakeLists.txt and
# Package.swift. It goes on the first line, or on the second after a "#!"
# line or Swift's "// swift-tools-version" line, which must stay first.
#   scripts/add-spdx.sh           add it where it is missing
#   scripts/add-spdx.sh FILE...   add it to these files only
#   scripts/add-spdx.sh --check   only list the files that lack it (exit 1 if any)
# Tests/c/test_spdx.sh runs the check.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
mode=add
if [ "${1:-}" = --check ]; then mode=check; fi
tag='SPDX-License-Identifier: Apache-2.0'

# Tracked files when this is a git checkout (not build outputs), else all.
dirs=(Sources Tests include examples-c examples-swift bench scripts cmake .ci)
if [ $# -gt 0 ] && [ "$1" != --check ]; then
    list() { printf '%s\n' "$@"; }
elif git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    list() { git ls-files --cached --others --exclude-standard -- "${dirs[@]}" CMakeLists.txt Package.swift; }
else
    list() { find "${dirs[@]}" CMakeLists.txt Package.swift -type f -not -path '*/.build*' -not -path '*/build*'; }
fi

# The comment syntax for a file, or nothing if it is not a source file.
style() {
    case "${1##*/}" in
    *.swift) echo '//' ;;
    *.c | *.h | *.map) echo '/*' ;;
    *.sh | *.py | *.cmake | *.cmake.in | *.pc.in | CMakeLists.txt) echo '#' ;;
    *.*) ;;
    *) if [ "$(head -c 2 "$1" 2>/dev/null | tr -d '\0')" = '#!' ]; then echo '#'; fi ;;
    esac
}

missing=0
while IFS= read -r file; do
    [ -f "$file" ] || continue
    comment=$(style "$file")
    [ -n "$comment" ] || continue
    head -n 5 "$file" | grep -q "$tag" && continue
    missing=$((missing + 1))
    if [ $mode = check ]; then
        echo "$file"
        continue
    fi
    case "$comment" in
    '/*') line="/* $tag */" ;;
    *) line="$comment $tag" ;;
    esac
    first=$(head -n 1 "$file")
    case "$first" in
    '#!'* | '// swift-tools-version'*) at=1 ;;
    *) at=0 ;;
    esac
    # Rewrite in place (keeps the file's mode and owner).
    content=$(cat "$file"; echo x)
    content=${content%x}
    {
        if [ $at = 1 ]; then printf '%s\n' "$first"; fi
        printf '%s\n' "$line"
        if [ $at = 1 ]; then printf '%s' "$content" | tail -n +2; else printf '%s' "$content"; fi
    } >"$file"
    echo "added: $file"
done < <(list "$@" | sort -u)

if [ $mode = check ]; then
    [ $missing = 0 ] || { echo "$missing files lack '$tag' in their first 5 lines"; exit 1; }
    echo "every source file has '$tag'"
else
    echo "$missing files changed"
fi
