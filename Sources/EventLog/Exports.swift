// SPDX-License-Identifier: Apache-2.0
@_exported import struct EventLogStorage.CursorPosition
// Names from the lower modules that are part of the public Swift API.
@_exported import struct EventLogStorage.EventLogError
