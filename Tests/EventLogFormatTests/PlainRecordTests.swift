// SPDX-License-Identifier: Apache-2.0
// The decoder takes plain records (no headers, short varints) on a fast
// path and hands every other record to the full decoder. These records are
// plain, or plain but for one thing: each must decode, or fail, exactly as
// the full decoder decides, whichever path it starts on. They are decoded
// under a header that allows any offset delta (ValidationTests.decode).
import EventLogFormat
import Testing

@Suite struct PlainRecordTests {
    /// A plain record: attributes 0, timestamp delta 20, offset delta 2,
    /// key "user-1", a null value, no headers; 13 bytes, length 12.
    static let plain = hex("18 00 28 04 0c 75 73 65 72 2d 31 01 00")
    static let plainRecord = DecodedRecord(
        offset: 2, timestamp: 20, key: Array("user-1".utf8), value: nil, headers: [])

    @Test func plainRecordDecodes() throws {
        #expect(try ValidationTests.decode(Self.plain) == [Self.plainRecord])
        #expect(
            try ValidationTests.decode(Self.plain + Self.plain + Self.plain, count: 3)
                == Array(repeating: Self.plainRecord, count: 3))
    }

    /// Varints Kafka reads but the fast path does not take (a header count
    /// of 0 in two bytes, a key length of 6 in four) decode the same.
    @Test func longerEncodingsOfTheSameFieldsDecodeAlike() throws {
        var headerCount = Self.plain
        headerCount[0] = 0x1a
        headerCount.replaceSubrange(12..<13, with: [0x80, 0x00])
        var keyLength = Self.plain
        keyLength[0] = 0x1e
        keyLength.replaceSubrange(4..<5, with: [0x8c, 0x80, 0x80, 0x00])
        for section in [headerCount, keyLength] {
            #expect(try ValidationTests.decode(section) == [Self.plainRecord])
            #expect(
                try ValidationTests.decode(Self.plain + section + Self.plain, count: 3)
                    == Array(repeating: Self.plainRecord, count: 3))
        }
    }

    /// A record with headers between plain ones: each keeps its own headers.
    @Test func recordsWithHeadersBetweenPlainOnes() throws {
        let tombstone = try #require(try ValidationTests.decode(ValidationTests.tombstone).first)
        let decoded = try ValidationTests.decode(Self.plain + ValidationTests.tombstone + Self.plain, count: 3)
        #expect(decoded == [Self.plainRecord, tombstone, Self.plainRecord])
        #expect(decoded[1].headers.count == 1)
    }

    @Test func damageInAPlainRecordIsNamedAsTheFullDecoderNamesIt() {
        var badKey = Self.plain
        badKey[4] = 0x03  // key length -2
        expectFormatError(.invalidLength, at: 4) { _ = try ValidationTests.decode(badKey) }
        expectFormatError(.invalidLength, at: 17) { _ = try ValidationTests.decode(Self.plain + badKey, count: 2) }
        expectFormatError(.invalidRecord, at: 3) { _ = try ValidationTests.decode(Self.plain, lastOffsetDelta: 1) }
        var longKey = Self.plain
        longKey[4] = 0x20  // a 16-byte key in a 12-byte record
        expectFormatError(.invalidRecord, at: 4) { _ = try ValidationTests.decode(longKey) }
        var extraByte = Self.plain + [0x00]
        extraByte[0] = 0x1a  // length 13: one byte after the header count
        expectFormatError(.invalidRecord, at: 0) { _ = try ValidationTests.decode(extraByte) }
        var noHeaderCount = Array(Self.plain.dropLast())
        noHeaderCount[0] = 0x16  // length 11: the header count falls outside
        expectFormatError(.invalidRecord, at: 12) { _ = try ValidationTests.decode(noHeaderCount) }
        var headerCountPastRecord = Self.plain
        headerCountPastRecord[12] = 0x02  // one header, with no bytes left for it
        expectFormatError(.invalidLength, at: 12) { _ = try ValidationTests.decode(headerCountPastRecord) }
    }
}
