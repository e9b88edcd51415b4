// SPDX-License-Identifier: Apache-2.0
// The shares a compaction under a memory budget splits the keys into: when
// share s of n overflows, the compaction goes on with shares 2s and 2s + 1
// of 2n, so those two must hold exactly the keys of share s, or keys are
// never compacted.
import Testing

@testable import EventLogStorage

@Suite struct KeyShareTests {
    @Test func shareSOfNIsShares2SAnd2SPlus1Of2N() {
        var generator = SeededGenerator(seed: 17)
        for _ in 0..<5_000 {
            let key = (0..<Int.random(in: 1...40, using: &generator)).map { _ in
                UInt8.random(in: 0...255, using: &generator)
            }
            key.withUnsafeBytes { bytes in
                var partitions = 1
                while partitions < Compactor.maxShares {
                    let share = KeySet.share(ofKey: bytes, partitions: partitions)
                    let half = KeySet.share(ofKey: bytes, partitions: partitions * 2)
                    #expect(
                        half / 2 == share, "key \(key) in share \(share) of \(partitions), \(half) of twice as many")
                    partitions *= 2
                }
            }
        }
    }

    @Test func sharesAreAboutEven() {
        var counts = [Int](repeating: 0, count: 16)
        for i in 0..<16_000 {
            Array("key-\(i)".utf8).withUnsafeBytes { counts[KeySet.share(ofKey: $0, partitions: 16)] += 1 }
        }
        #expect(counts.allSatisfy { $0 > 700 && $0 < 1300 }, "keys per share: \(counts)")
    }
}
