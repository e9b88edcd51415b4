// SPDX-License-Identifier: Apache-2.0
// What a map function emits its (key, value) pairs through. Each pair goes
// straight into the partition its key hashes to, folded into the piece's
// partial result for that key (a combiner, as MapReduce and Spark's
// reduceByKey run one on the map side), so a piece's output grows with its
// distinct keys, not with its records.

public struct Emitter<Key: Hashable, Value> {
    @usableFromInline let sink: (Key, Value) -> Void

    @inlinable init(_ sink: @escaping (Key, Value) -> Void) { self.sink = sink }

    @inlinable public func emit(_ key: Key, _ value: Value) { sink(key, value) }
}

/// One piece's partial results, by partition. Owned by the task that maps
/// the piece; handed on once the piece is done. Inlinable, like the rest
/// of the engine, so that it is specialised for a job's own types: through
/// generic witness tables a dictionary update cost ten times as much.
@usableFromInline final class PartialTable<Key: Hashable & Sendable, Accumulator: Sendable> {
    @usableFromInline var partitions: [[Key: Accumulator]]
    @usableFromInline var pairs = 0

    @inlinable init(partitions count: Int) { partitions = Array(repeating: [:], count: count) }

    @inlinable func add<Value>(
        _ key: Key, _ value: Value, initial: Accumulator, fold: (inout Accumulator, Value) -> Void
    ) {
        pairs += 1
        fold(&partitions[Self.partition(of: key, among: partitions.count)][key, default: initial], value)
    }

    /// The shuffle: which reducer a key goes to.
    @inlinable static func partition(of key: Key, among count: Int) -> Int {
        Int(UInt(bitPattern: key.hashValue) % UInt(count))
    }
}
