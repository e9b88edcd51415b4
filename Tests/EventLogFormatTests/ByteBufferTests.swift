// SPDX-License-Identifier: Apache-2.0
// ByteBuffer's contract as the storage layer relies on it: contents survive
// growth, reserved space can be written then counted, and emptying keeps or
// returns the memory as asked.
import EventLogFormat
import Testing

@Suite struct ByteBufferTests {
    @Test func contentsSurviveGrowth() {
        let buffer = ByteBuffer(capacity: 0)
        var expected: [UInt8] = []
        for round in 0..<200 {
            let chunk = [UInt8](repeating: UInt8(truncatingIfNeeded: round), count: round)
            chunk.withUnsafeBytes { buffer.append($0) }
            expected += chunk
        }
        buffer.appendZeros(3)
        expected += [0, 0, 0]
        #expect(buffer.count == expected.count)
        #expect(buffer.capacity >= buffer.count)
        #expect(buffer.withUnsafeBytes { Array($0) } == expected)
    }

    @Test func reservedSpaceIsWrittenThenCounted() {
        let buffer = ByteBuffer(capacity: 4)
        buffer.append(UnsafeRawBufferPointer(start: nil, count: 0))
        buffer.reserveCapacity(100)
        #expect(buffer.capacity >= 100)
        (buffer.baseAddress + buffer.count).storeBytes(of: 0xABCD, as: UInt16.self)
        buffer.unsafeExtend(by: 2)
        #expect(buffer.withUnsafeBytes { Array($0) } == [0xCD, 0xAB])
        buffer.truncate(to: 1)
        #expect(buffer.withUnsafeBytes { Array($0) } == [0xCD])
    }

    @Test func removeAllKeepsOrReturnsCapacity() {
        let buffer = ByteBuffer(capacity: 1 << 16)
        buffer.appendZeros(1000)
        buffer.removeAll()
        #expect(buffer.count == 0 && buffer.capacity >= 1 << 16)
        buffer.appendZeros(10)
        buffer.removeAll(keepingCapacity: false)
        #expect(buffer.count == 0 && buffer.capacity < 1 << 16)
    }
}
