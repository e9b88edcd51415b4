// SPDX-License-Identifier: Apache-2.0
// The --format templates of `dump` and `tail`, after kcat's -f: text with
// %-fields replaced by each record's parts, and backslash escapes. Keys,
// values and header values are written as the raw bytes they are. Also the
// options `dump` and `tail` share to choose them.
import ArgumentParser
internal import EventLogFormat

/// --values and --format, the record shapes `dump` and `tail` share.
struct RecordOutputOptions: ParsableArguments {
    @Flag(help: "Print each value's bytes as they are, one per line (the format '%v\\n').")
    var values = false

    @Option(
        help: ArgumentHelp("Print each record by this template, as kcat -f does.", valueName: "template"),
        transform: RecordTemplate.init(parsing:))
    var format: RecordTemplate?

    func validate() throws {
        if values && format != nil { throw ValidationError("--values and --format exclude each other") }
    }

    /// The shape chosen; JSON lines when neither option is given.
    var style: RecordStyle { (values ? RecordTemplate.values : format).map { .template($0) } ?? .json }

    var isChosen: Bool { values || format != nil }
}

struct RecordTemplate {
    enum Piece: Equatable {
        case literal([UInt8])
        case offset, timestamp, time, key, keyLength, value, valueLength, headers
    }

    let pieces: [Piece]

    /// What --values prints.
    static let values = try! RecordTemplate(parsing: "%v\\n")

    static let help = """
        %o offset, %T timestamp (ms since the epoch), %t time (ISO-8601 UTC), %k key, \
        %v or %s value, %K key length, %V or %S value length (-1 for null), %h headers \
        (name=value,...; a null value shows the name alone), %% a percent sign; \
        escapes \\n \\t \\r \\\\. A null key or value prints nothing.
        """

    /// The pieces by the letter after a `%`, and the bytes by the letter
    /// after a backslash.
    private static let fields = [UInt8: Piece](
        uniqueKeysWithValues: zip(
            "oTtkKvsVSh%".utf8,
            [
                .offset, .timestamp, .time, .key, .keyLength, .value, .value, .valueLength, .valueLength, .headers,
                .literal([UInt8(ascii: "%")]),
            ]))
    private static let escapes = [UInt8: UInt8](uniqueKeysWithValues: zip("ntr\\".utf8, "\n\t\r\\".utf8))

    /// Parses a template; throws a usage error naming what is wrong.
    init(parsing text: String) throws {
        var pieces: [Piece] = []
        var literal: [UInt8] = []
        func field(_ piece: Piece) {
            if !literal.isEmpty { pieces.append(.literal(literal)) }
            literal = []
            pieces.append(piece)
        }
        var bytes = Array(text.utf8).makeIterator()
        while let byte = bytes.next() {
            switch byte {
            case UInt8(ascii: "%"):
                guard let name = bytes.next() else { throw ValidationError("the format ends with a lone '%'") }
                guard let piece = Self.fields[name] else {
                    throw ValidationError(
                        "unknown field '%\(Unicode.Scalar(name))' in the format (known: %o %T %t %k %K %v %s %V %S %h %%)"
                    )
                }
                field(piece)
            case UInt8(ascii: "\\"):
                guard let escape = bytes.next() else { throw ValidationError("the format ends with a lone '\\'") }
                guard let escaped = Self.escapes[escape] else {
                    throw ValidationError(
                        "unknown escape '\\\(Unicode.Scalar(escape))' in the format (known: \\n \\t \\r \\\\)")
                }
                literal.append(escaped)
            default: literal.append(byte)
            }
        }
        if !literal.isEmpty { pieces.append(.literal(literal)) }
        self.pieces = pieces
    }

    func write(_ record: RecordView, _ headers: UnsafeBufferPointer<HeaderView>, to out: Output) {
        for piece in pieces {
            switch piece {
            case .literal(let bytes): bytes.withUnsafeBytes { out.write($0) }
            case .offset: out.decimal(record.offset)
            case .timestamp: out.decimal(record.timestamp)
            case .time: out.write(TimeText.iso8601(record.timestamp))
            case .key: record.key.map { out.write($0) }
            case .keyLength: out.decimal(record.key.map { Int64($0.count) } ?? -1)
            case .value: record.value.map { out.write($0) }
            case .valueLength: out.decimal(record.value.map { Int64($0.count) } ?? -1)
            case .headers:
                for (i, header) in headerViews(record, headers).enumerated() {
                    if i > 0 { out.byte(UInt8(ascii: ",")) }
                    out.write(header.key)
                    if let value = header.value {
                        out.byte(UInt8(ascii: "="))
                        out.write(value)
                    }
                }
            }
        }
    }
}
