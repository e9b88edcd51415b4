// SPDX-License-Identifier: Apache-2.0
// Where records start in a records section, found from their length
// varints alone (Docs/FORMAT.md §4): the writer uses it to end LZ4 blocks at
// record boundaries, and a reader to learn, from a batch it has decoded in
// full, which of its blocks start at a record. Neither decodes fields.

package enum RecordBoundaries {
    /// The bytes of the whole records from `start` that fit in `target`
    /// bytes, or of the one record at `start` if it alone is larger; nil if
    /// no record parses at `start`.
    package static func wholeRecords(_ section: UnsafeRawBufferPointer, from start: Int, target: Int) -> Int? {
        guard let base = section.baseAddress else { return nil }
        var end = start
        while end < section.count, let next = recordEnd(base, at: end, limit: section.count) {
            if next - start > target && end > start { break }
            end = next
            if end - start > target { break }
        }
        return end > start ? end - start : nil
    }

    /// The end of the record at `position`, from its length varint; nil if
    /// that is malformed, negative or runs past `limit`.
    @inline(__always)
    package static func recordEnd(_ base: UnsafeRawPointer, at position: Int, limit: Int) -> Int? {
        body(base, at: position, limit: limit)?.end
    }

    /// Where the body of the record at `position` (what follows its length
    /// varint) starts and ends; nil as for `recordEnd`, and for a record of
    /// length 0. The decoder reads each length once, here.
    @inline(__always)
    static func body(_ base: UnsafeRawPointer, at position: Int, limit: Int) -> (start: Int, end: Int)? {
        guard position < limit else { return nil }
        var index = position
        guard
            let raw = try? Varint.readRaw(base, &index, limit: limit, maxBytes: 5, overrun: .truncated)
        else { return nil }
        let length = Int(Varint.decode32(raw))
        guard length > 0, length <= limit &- index else { return nil }
        return (index, index &+ length)
    }
}
