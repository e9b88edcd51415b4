// SPDX-License-Identifier: Apache-2.0
// Big-endian loads and stores at arbitrary byte offsets. Kafka's batch
// headers and index files are big-endian and packed, so fields are rarely
// aligned: every access goes through loadUnaligned / storeBytes, which have no
// alignment requirement (an aligned `load(as:)` on packed data traps in debug
// builds). Shared with the storage layer, hence package access and inlinable.

package enum BigEndian {
    @inlinable
    package static func loadInt64(_ p: UnsafeRawPointer, at offset: Int) -> Int64 {
        Int64(bigEndian: p.loadUnaligned(fromByteOffset: offset, as: Int64.self))
    }

    @inlinable
    package static func loadInt32(_ p: UnsafeRawPointer, at offset: Int) -> Int32 {
        Int32(bigEndian: p.loadUnaligned(fromByteOffset: offset, as: Int32.self))
    }

    @inlinable
    package static func loadInt16(_ p: UnsafeRawPointer, at offset: Int) -> Int16 {
        Int16(bigEndian: p.loadUnaligned(fromByteOffset: offset, as: Int16.self))
    }

    @inlinable
    package static func loadUInt32(_ p: UnsafeRawPointer, at offset: Int) -> UInt32 {
        UInt32(bigEndian: p.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    @inlinable
    package static func storeInt64(_ value: Int64, to p: UnsafeMutableRawPointer, at offset: Int) {
        p.storeBytes(of: value.bigEndian, toByteOffset: offset, as: Int64.self)
    }

    @inlinable
    package static func storeInt32(_ value: Int32, to p: UnsafeMutableRawPointer, at offset: Int) {
        p.storeBytes(of: value.bigEndian, toByteOffset: offset, as: Int32.self)
    }

    @inlinable
    package static func storeInt16(_ value: Int16, to p: UnsafeMutableRawPointer, at offset: Int) {
        p.storeBytes(of: value.bigEndian, toByteOffset: offset, as: Int16.self)
    }

    @inlinable
    package static func storeUInt32(_ value: UInt32, to p: UnsafeMutableRawPointer, at offset: Int) {
        p.storeBytes(of: value.bigEndian, toByteOffset: offset, as: UInt32.self)
    }
}
