// SPDX-License-Identifier: Apache-2.0
// The two storage-layer names that belong to the public Swift API: the error
// every call throws and a named cursor's stored position. Re-exported one by
// one so that `import EventLog` brings them and nothing else of the storage
// layer, whose declarations are `package` (visible to this package's modules
// and tests, never to a dependent package).
//
// Why the other storage results (compaction, retention, verify, recover, the
// sync mode) have public mirrors here instead of being re-exported the same
// way: DocC leaves re-exported types out. Checked with Swift 6.3.1 and
// swift-docc-plugin 1.x: `swift package generate-documentation --target
// EventLog` writes no page for these two types (the Errors article describes
// them by hand), because SwiftPM runs swift-symbolgraph-extract without
// `-experimental-allowed-reexported-modules`, the only setting that keeps
// them, and the plugin has no way to pass it. A re-exported report would
// lose every member's documentation, and the articles' links to it would
// fail the docs build (warnings are errors there).
@_exported public import struct EventLogStorage.CursorPosition
@_exported public import struct EventLogStorage.EventLogError
