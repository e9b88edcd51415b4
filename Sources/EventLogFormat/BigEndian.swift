// SPDX-License-Identifier: Apache-2.0
// Big-endian loads and stores at arbitrary byte offsets. Kafka's batch
// headers and index files are big-endian and packed, so fields are rarely
// aligned: every access goes through loadUnaligned / storeBytes, which have no
// alignment requirement (an aligned `load(as:)` on packed data traps in debug
// builds). Shared with the storage layer, hence package access and inlinable.

package enum BigEndian {
    /// The integer of `T`'s width stored big-endian at `offset` from `p`.
    @inlinable
    package static func load<T: FixedWidthInteger & BitwiseCopyable>(
        _ p: UnsafeRawPointer, at offset: Int, as type: T.Type = T.self
    ) -> T {
        T(bigEndian: p.loadUnaligned(fromByteOffset: offset, as: T.self))
    }

    /// Stores `value` big-endian at `offset` from `p`, in `T`'s width.
    @inlinable
    package static func store<T: FixedWidthInteger & BitwiseCopyable>(
        _ value: T, to p: UnsafeMutableRawPointer, at offset: Int
    ) {
        p.storeBytes(of: value.bigEndian, toByteOffset: offset, as: T.self)
    }
}
