#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Builds the DocC documentation of the EventLog module (the catalog
# Sources/EventLog/EventLog.docc and the symbol comments) with
# swift-docc-plugin. Warnings are errors, so a broken symbol link or a
# malformed catalog fails the test.
#   test_docs_swift.sh SOURCE_DIR SCRATCH_DIR
set -eu
src=$1 scratch=$2
swift package --package-path "$src" --scratch-path "$scratch" \
    generate-documentation --target EventLog --warnings-as-errors
test -d "$scratch/plugins/Swift-DocC/outputs/EventLog.doccarchive/data/documentation"
echo "archive: $scratch/plugins/Swift-DocC/outputs/EventLog.doccarchive"
