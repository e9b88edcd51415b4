// SPDX-License-Identifier: Apache-2.0
// What a map function emits its (key, value) pairs through. Each pair goes
// straight into the partition its key hashes to, folded into the piece's
// partial result for that key (a combiner, as MapReduce and Spark's
// reduceByKey run one on the map side), so a piece's output grows with its
// distinct keys, not with its records.

public struct Emitter<Key: Hashable, Value> {
    private let sink: (Key, Value) -> Void

    init(_ sink: @escaping (Key, Value) -> Void) { self.sink = sink }

    public func emit(_ key: Key, _ value: Value) { sink(key, value) }
}

/// One piece's partial results, by partition. Owned by the task that maps
/// the piece; handed on once the piece is done.
final class PartialTable<Key: Hashable & Sendable, Accumulator: Sendable> {
    private(set) var partitions: [[Key: Accumulator]]
    private(set) var pairs = 0

    init(partitions count: Int) { partitions = Array(repeating: [:], count: count) }

    func add<Value>(_ key: Key, _ value: Value, initial: Accumulator, fold: (inout Accumulator, Value) -> Void) {
        pairs += 1
        fold(&partitions[Self.partition(of: key, among: partitions.count)][key, default: initial], value)
    }

    /// The shuffle: which reducer a key goes to.
    static func partition(of key: Key, among count: Int) -> Int {
        Int(UInt(bitPattern: key.hashValue) % UInt(count))
    }
}
