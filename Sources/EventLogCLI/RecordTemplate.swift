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
    var style: RecordStyle { values ? .values : format.map { .template($0) } ?? .json }

    var isChosen: Bool { values || format != nil }
}

struct RecordTemplate {
    enum Piece: Equatable {
        case literal([UInt8])
        case offset, timestamp, time, key, keyLength, value, valueLength, headers
    }

    let pieces: [Piece]

    static let help = """
        %o offset, %T timestamp (ms since the epoch), %t time (ISO-8601 UTC), %k key, \
        %v or %s value, %K key length, %V or %S value length (-1 for null), %h headers \
        (name=value,...; a null value shows the name alone), %% a percent sign; \
        escapes \\n \\t \\r \\\\. A null key or value prints nothing.
        """

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
                switch name {
                case UInt8(ascii: "o"): field(.offset)
                case UInt8(ascii: "T"): field(.timestamp)
                case UInt8(ascii: "t"): field(.time)
                case UInt8(ascii: "k"): field(.key)
                case UInt8(ascii: "K"): field(.keyLength)
                case UInt8(ascii: "v"), UInt8(ascii: "s"): field(.value)
                case UInt8(ascii: "V"), UInt8(ascii: "S"): field(.valueLength)
                case UInt8(ascii: "h"): field(.headers)
                case UInt8(ascii: "%"): literal.append(name)
                default:
                    throw ValidationError(
                        "unknown field '%\(Unicode.Scalar(name))' in the format (known: %o %T %t %k %K %v %s %V %S %h %%)"
                    )
                }
            case UInt8(ascii: "\\"):
                guard let escape = bytes.next() else { throw ValidationError("the format ends with a lone '\\'") }
                switch escape {
                case UInt8(ascii: "n"): literal.append(0x0A)
                case UInt8(ascii: "t"): literal.append(0x09)
                case UInt8(ascii: "r"): literal.append(0x0D)
                case UInt8(ascii: "\\"): literal.append(escape)
                default:
                    throw ValidationError(
                        "unknown escape '\\\(Unicode.Scalar(escape))' in the format (known: \\n \\t \\r \\\\)")
                }
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
