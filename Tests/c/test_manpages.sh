#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The man pages and shell completions, as installed: eventlog(1), one
# eventlog-<command>(1) per command of the tool, libeventlog(3), each
# rendered by groff without a warning; libeventlog(3) names every function
# that include/eventlog.h declares; the bash, zsh and fish completions are
# where those shells look.
#   test_manpages.sh BUILD_DIR SOURCE_DIR
set -eu
build=$1 src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cmake --install "$build" --prefix "$tmp/prefix" >"$tmp/install.log"
man=$tmp/prefix/share/man
status=0

pages=$(find "$man" -name '*.[13]' | sort)
echo "$(echo "$pages" | wc -l) pages: $(for p in $pages; do basename "$p"; done | tr '\n' ' ')"
for page in $pages; do
    if ! LC_ALL=C.UTF-8 groff -man -ww -z -Tutf8 "$page" >"$tmp/warnings" 2>&1 || [ -s "$tmp/warnings" ]; then
        echo "FAIL: $(basename "$page") renders with warnings:"
        sed 's/^/  /' "$tmp/warnings"
        status=1
    fi
done
for page in eventlog.1 eventlog-dump.1 eventlog-verify.1; do
    test -f "$man/man1/$page" || { echo "FAIL: $page not installed"; status=1; }
done
# Every subcommand the tool lists has its page.
for command in $("$tmp/prefix/bin/eventlog" --experimental-dump-help |
    python3 -c 'import json, sys; print(" ".join(c["commandName"] for c in json.load(sys.stdin)["command"]["subcommands"] if c["commandName"] != "help"))'); do
    test -f "$man/man1/eventlog-$command.1" || { echo "FAIL: no page for eventlog $command"; status=1; }
done
test -f "$man/man3/libeventlog.3" || { echo "FAIL: libeventlog.3 not installed"; status=1; }
sed -n 's/^EVENTLOG_API[^(]*[ *]\(eventlog_[a-z0-9_]*\)(.*/\1/p' "$src/include/eventlog.h" | sort -u >"$tmp/declared"
for function in $(cat "$tmp/declared"); do
    grep -q "$function(" "$man/man3/libeventlog.3" || { echo "FAIL: libeventlog.3 does not show $function"; status=1; }
done

for completion in bash-completion/completions/eventlog zsh/site-functions/_eventlog \
    fish/vendor_completions.d/eventlog.fish; do
    if [ -s "$tmp/prefix/share/$completion" ]; then
        echo "completion: share/$completion"
    else
        echo "FAIL: share/$completion missing or empty"
        status=1
    fi
done
if command -v bash >/dev/null; then
    bash -n "$tmp/prefix/share/bash-completion/completions/eventlog" || { echo "FAIL: bash completion has a syntax error"; status=1; }
fi
[ $status = 0 ] && echo "manpages OK"
exit $status
