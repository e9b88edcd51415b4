// SPDX-License-Identifier: Apache-2.0
// CRC-32C takes one of three paths by length and CPU: folding 256 bytes at
// a time with VPCLMULQDQ, three streams of the crc32 instruction, one
// stream for what is left. Every length around their thresholds, at every
// alignment and continued from any value, must give the checksum of the
// bit-at-a-time definition.
import EventLogFormat
import Testing

@Suite struct CRC32CTests {
    /// CRC-32C one bit at a time: the definition, slow and plain.
    static func reference(_ bytes: ArraySlice<UInt8>, continuing crc: UInt32 = 0) -> UInt32 {
        var register = ~crc
        for byte in bytes {
            register ^= UInt32(byte)
            for _ in 0..<8 { register = (register >> 1) ^ (0x82F6_3B78 & (0 &- (register & 1))) }
        }
        return ~register
    }

    static func checksum(_ bytes: ArraySlice<UInt8>, continuing crc: UInt32 = 0) -> UInt32 {
        bytes.withUnsafeBytes { CRC32C.checksum($0, continuing: crc) }
    }

    @Test func everyLengthAndAlignmentMatchesTheDefinition() {
        var rng = SeededGenerator(seed: 32)
        let bytes = rng.bytes(100_000)
        let lengths = Array(0...1_100) + [4_095, 4_096, 24_575, 24_576, 24_577, 65_536, 90_001, 99_000]
        for length in lengths {
            let start = Int.random(in: 0..<64, using: &rng)
            let slice = bytes[start..<start + length]
            let seed = UInt32.random(in: 0...UInt32.max, using: &rng)
            #expect(
                Self.checksum(slice, continuing: seed) == Self.reference(slice, continuing: seed), "\(length) bytes")
        }
    }

    /// A checksum continued over the rest of the bytes equals the checksum
    /// of all of them, wherever the cut falls.
    @Test func aChecksumContinuesAcrossAnyCut() {
        var rng = SeededGenerator(seed: 33)
        let bytes = rng.bytes(20_000)
        let whole = Self.reference(bytes[...])
        for cut in [0, 1, 255, 256, 257, 767, 768, 5_000, 19_999, 20_000] {
            #expect(Self.checksum(bytes[cut...], continuing: Self.checksum(bytes[..<cut])) == whole, "cut at \(cut)")
        }
    }
}
