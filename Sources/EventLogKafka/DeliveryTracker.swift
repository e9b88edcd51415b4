// SPDX-License-Identifier: Apache-2.0
// Which records of a ship are safely in Kafka, in the order they were read
// from the log: delivery reports come back out of order across partitions,
// but the ship cursor may only move past a record once it and every record
// before it were delivered (or found already in Kafka).

struct DeliveryTracker {
    /// Every record below this offset is in Kafka: the position to commit.
    private(set) var next: UInt64
    /// Offsets handed to the producer or skipped, in log order, from `head` on.
    private var sent: [UInt64] = []
    private var head = 0
    /// Offsets in `sent[head...]` already settled.
    private var settled = Set<UInt64>()

    init(next: UInt64) { self.next = next }

    /// Records produced and not yet reported on.
    var outstanding: Int { sent.count - head - settled.count }

    mutating func produced(_ offset: UInt64) { sent.append(offset) }

    /// A record found already in Kafka counts as delivered.
    mutating func skipped(_ offset: UInt64) {
        sent.append(offset)
        delivered(offset)
    }

    mutating func delivered(_ offset: UInt64) {
        settled.insert(offset)
        while head < sent.count, settled.remove(sent[head]) != nil {
            next = sent[head] + 1
            head += 1
        }
        // Drop the settled prefix now and then, not on every report.
        if head >= 4096 && head * 2 >= sent.count {
            sent.removeFirst(head)
            head = 0
        }
    }
}
