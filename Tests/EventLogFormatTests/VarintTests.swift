// SPDX-License-Identifier: Apache-2.0
// Varint encoding, decoding and Kafka's limits on varint length.
import EventLogFormat
import Testing

@Suite struct VarintTests {
    static let vectors: [(Int64, String)] = [
        (0, "00"), (-1, "01"), (1, "02"), (63, "7e"), (-64, "7f"), (64, "80 01"), (150, "ac 02"),
        (Int64(Int32.max), "fe ff ff ff 0f"), (Int64(Int32.min), "ff ff ff ff 0f"),
        (Int64.max, "fe ff ff ff ff ff ff ff ff 01"), (Int64.min, "ff ff ff ff ff ff ff ff ff 01"),
    ]

    @Test func encodesKnownValues() {
        for (value, bytes) in Self.vectors {
            var buffer = [UInt8](repeating: 0, count: 10)
            let written = buffer.withUnsafeMutableBytes { Varint.write(value, to: $0.baseAddress!) }
            #expect(Array(buffer[..<written]) == hex(bytes), "\(value)")
            #expect(Varint.size(value) == written, "\(value)")
        }
    }

    @Test func edgeValuesRoundTrip() throws {
        for (value, bytes) in Self.vectors {
            let encoded = hex(bytes)
            try encoded.withUnsafeBytes { raw throws in
                var index = 0
                #expect(try Varint.readInt64(raw, at: &index) == value)
                #expect(index == encoded.count)
                if let narrow = Int32(exactly: value) {
                    index = 0
                    #expect(try Varint.readInt32(raw, at: &index) == narrow)
                    #expect(index == encoded.count)
                }
            }
        }
    }

    @Test func sizeMatchesWriteEverywhere() {
        var rng = SeededGenerator(seed: 7)
        var buffer = [UInt8](repeating: 0, count: 10)
        for shift in 0..<64 {
            for value in [Int64(1) << shift, 0 &- (Int64(1) << shift), Int64.random(in: .min ... .max, using: &rng)] {
                let written = buffer.withUnsafeMutableBytes { Varint.write(value, to: $0.baseAddress!) }
                #expect(Varint.size(value) == written)
                let back = buffer.withUnsafeBytes { raw -> Int64? in
                    var index = 0
                    return try? Varint.readInt64(raw, at: &index)
                }
                #expect(back == value)
            }
        }
    }

    @Test func overlongVarintsAreRejected() {
        for bytes in ["80 80 80 80 80 00", "ff ff ff ff ff 01"] {
            expectFormatError(.invalidVarint, at: 0) {
                try hex(bytes).withUnsafeBytes { raw in
                    var index = 0
                    _ = try Varint.readInt32(raw, at: &index)
                }
            }
        }
        expectFormatError(.invalidVarint, at: 1) {
            try hex("00 80 80 80 80 80 80 80 80 80 80 00").withUnsafeBytes { raw in
                var index = 1
                _ = try Varint.readInt64(raw, at: &index)
            }
        }
    }

    @Test func truncatedVarintsAreRejected() {
        for bytes in ["", "80", "ff ff ff ff"] {
            expectFormatError(.truncated, at: 0) {
                try hex(bytes).withUnsafeBytes { raw in
                    var index = 0
                    _ = try Varint.readInt32(raw, at: &index)
                }
            }
        }
    }

    /// Kafka's ByteUtils drops bits of the fifth byte that do not fit 32 bits.
    @Test func fifthByteHighBitsAreDroppedLikeKafka() throws {
        try hex("ff ff ff ff 7f").withUnsafeBytes { raw throws in
            var index = 0
            #expect(try Varint.readInt32(raw, at: &index) == Int32.min)
        }
    }
}
