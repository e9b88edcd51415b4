// SPDX-License-Identifier: Apache-2.0
// The two storage-layer names that belong to the public Swift API: the error
// every call throws and a named cursor's stored position. Re-exported one by
// one so that `import EventLog` brings them and nothing else of the storage
// layer, whose declarations are `package` (visible to this package's modules
// and tests, never to a dependent package).
@_exported public import struct EventLogStorage.CursorPosition
@_exported public import struct EventLogStorage.EventLogError
