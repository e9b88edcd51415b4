// SPDX-License-Identifier: Apache-2.0
// ByteBuffer: an owned, growable run of raw bytes, the output of the batch
// builder and of LZ4 decompression. Encoders reserve space, write through
// `baseAddress` and then `unsafeExtend`, so nothing is copied through
// temporary arrays. Single-threaded: it is deliberately not Sendable.
import Glibc

package final class ByteBuffer {
    // A class's stored properties get a runtime exclusivity check on every
    // access; encoding one record touches them several times, and the checks
    // cost more than the encoding itself (about 500 instructions a record).
    // A ByteBuffer is confined to one thread and never lends out these
    // properties inout, so the checks are switched off.

    /// Bytes in use, from `baseAddress`.
    @exclusivity(unchecked) package private(set) var count: Int
    /// Bytes allocated; `count <= capacity`.
    @exclusivity(unchecked) package private(set) var capacity: Int
    /// Start of the storage. Valid until the next call that grows the buffer.
    @exclusivity(unchecked) package private(set) var baseAddress: UnsafeMutableRawPointer

    package init(capacity: Int) {
        // Never zero bytes, so `baseAddress` always points at real storage.
        let size = max(capacity, 16)
        guard let storage = malloc(size) else { fatalError("ByteBuffer: out of memory allocating \(size) bytes") }
        baseAddress = storage
        self.capacity = size
        count = 0
    }

    deinit { free(baseAddress) }

    /// Makes `capacity >= n`, keeping the contents. Grows at least twofold so
    /// that appending in small steps stays linear.
    package func reserveCapacity(_ n: Int) {
        guard n > capacity else { return }
        let size = max(n, capacity &* 2)
        guard let storage = realloc(baseAddress, size) else {
            fatalError("ByteBuffer: out of memory growing to \(size) bytes")
        }
        baseAddress = storage
        capacity = size
    }

    /// Empties the buffer; without `keepingCapacity` it also gives the memory back.
    package func removeAll(keepingCapacity: Bool = true) {
        count = 0
        if !keepingCapacity && capacity > 16, let storage = realloc(baseAddress, 16) {
            baseAddress = storage
            capacity = 16
        }
    }

    /// Drops the bytes from `newCount` on (used to undo a failed append).
    package func truncate(to newCount: Int) {
        precondition(newCount >= 0 && newCount <= count, "ByteBuffer.truncate beyond count")
        count = newCount
    }

    package func append(_ bytes: UnsafeRawBufferPointer) {
        guard let source = bytes.baseAddress, bytes.count > 0 else { return }
        reserveCapacity(count + bytes.count)
        (baseAddress + count).copyMemory(from: source, byteCount: bytes.count)
        count += bytes.count
    }

    package func appendZeros(_ n: Int) {
        precondition(n >= 0, "ByteBuffer.appendZeros with a negative count")
        reserveCapacity(count + n)
        (baseAddress + count).initializeMemory(as: UInt8.self, repeating: 0, count: n)
        count += n
    }

    /// Counts `n` more bytes as written: the caller has already written
    /// `[count, count + n)` of reserved space.
    package func unsafeExtend(by n: Int) {
        precondition(n >= 0 && n <= capacity - count, "ByteBuffer.unsafeExtend past capacity")
        count += n
    }

    package func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(start: baseAddress, count: count))
    }
}
