// SPDX-License-Identifier: Apache-2.0
// CRC-32C (Castagnoli), the checksum of a RecordBatch v2 over bytes
// [21, end). The work is done by the C shim, which uses the SSE4.2 crc32
// instruction when the CPU has it (about 11 GB/s), far above what a Swift
// table loop reaches.
import CEventLogShims

package enum CRC32C {
    /// The finalised CRC-32C of `bytes`; pass a previous result as `crc` to
    /// continue it over more bytes (0 starts a new checksum).
    package static func checksum(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt32 = 0) -> UInt32 {
        eventlog_crc32c(crc, bytes.baseAddress, bytes.count)
    }
}
