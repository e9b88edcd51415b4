// SPDX-License-Identifier: Apache-2.0
// XXH32 (seed 0), the hash the LZ4 frame format uses for its header checksum
// and its optional block and content checksums. liblz4 carries a copy but
// does not export it, and the frame reader needs it to check descriptors
// Kafka accepts, so it is written out here from the xxHash specification.

enum XXH32 {
    private static let prime1: UInt32 = 2_654_435_761
    private static let prime2: UInt32 = 2_246_822_519
    private static let prime3: UInt32 = 3_266_489_917
    private static let prime4: UInt32 = 668_265_263
    private static let prime5: UInt32 = 374_761_393

    static func hash(_ p: UnsafeRawPointer, count: Int) -> UInt32 {
        var offset = 0
        var h: UInt32
        if count >= 16 {
            var v1 = prime1 &+ prime2
            var v2 = prime2
            var v3: UInt32 = 0
            var v4: UInt32 = 0 &- prime1
            while offset <= count - 16 {
                v1 = round(v1, lane(p, offset))
                v2 = round(v2, lane(p, offset + 4))
                v3 = round(v3, lane(p, offset + 8))
                v4 = round(v4, lane(p, offset + 12))
                offset += 16
            }
            h = rotl(v1, 1) &+ rotl(v2, 7) &+ rotl(v3, 12) &+ rotl(v4, 18)
        } else {
            h = prime5
        }
        // The length enters modulo 2^32, as the specification says.
        h = h &+ UInt32(truncatingIfNeeded: count)
        while offset <= count - 4 {
            h = rotl(h &+ lane(p, offset) &* prime3, 17) &* prime4
            offset += 4
        }
        while offset < count {
            h = rotl(h &+ UInt32(p.load(fromByteOffset: offset, as: UInt8.self)) &* prime5, 11) &* prime1
            offset += 1
        }
        h ^= h >> 15
        h = h &* prime2
        h ^= h >> 13
        h = h &* prime3
        h ^= h >> 16
        return h
    }

    @inline(__always)
    private static func lane(_ p: UnsafeRawPointer, _ offset: Int) -> UInt32 {
        UInt32(littleEndian: p.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    @inline(__always)
    private static func round(_ accumulator: UInt32, _ input: UInt32) -> UInt32 {
        rotl(accumulator &+ input &* prime2, 13) &* prime1
    }

    @inline(__always)
    private static func rotl(_ x: UInt32, _ r: UInt32) -> UInt32 {
        (x << r) | (x >> (32 - r))
    }
}
