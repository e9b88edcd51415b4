// SPDX-License-Identifier: Apache-2.0
// Plain aligned tables and number formats for the human-readable output:
// columns separated by two spaces, numbers right-aligned, no colours.

struct Table {
    enum Alignment { case left, right }

    private let columns: [(title: String, alignment: Alignment)]
    private var rows: [[String]] = []

    init(_ columns: [(String, Alignment)]) { self.columns = columns }

    mutating func append(_ row: [String]) { rows.append(row) }

    var text: String {
        let all = [columns.map(\.title)] + rows
        let widths = columns.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
        return all.map { row in
            var line = ""
            for (column, cell) in row.enumerated() {
                let pad = String(repeating: " ", count: widths[column] - cell.count)
                if column > 0 { line += "  " }
                line += columns[column].alignment == .right ? pad + cell : cell + pad
            }
            while line.hasSuffix(" ") { line.removeLast() }
            return line + "\n"
        }.joined()
    }
}

/// "1234567 (1.2 MiB)": exact bytes, with a rounded size for larger ones.
func byteCount(_ bytes: UInt64) -> String {
    bytes < 1024 ? "\(bytes) bytes" : "\(bytes) bytes (\(shortByteCount(bytes)))"
}

/// A size in binary units with one decimal, e.g. "239.9 KiB", or "812 bytes".
func shortByteCount(_ bytes: UInt64) -> String {
    guard bytes >= 1024 else { return "\(bytes) bytes" }
    var value = Double(bytes)
    var unit = 0
    let units = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB"]
    while value >= 1024 && unit < units.count - 1 {
        value /= 1024
        unit += 1
    }
    return "\(decimal(value, places: 1)) \(units[unit])"
}

/// `value` rounded to `places` decimals, e.g. "2.89".
func decimal(_ value: Double, places: Int) -> String {
    var scale = 1.0
    for _ in 0..<places { scale *= 10 }
    let scaled = Int64((value * scale).rounded())
    let whole = scaled / Int64(scale)
    return places == 0 ? "\(whole)" : "\(whole)." + zeroPadded(scaled % Int64(scale), places)
}

/// "1 segment", "3 segments", "2 batches".
func counted<T: BinaryInteger>(_ count: T, _ noun: String, plural: String? = nil) -> String {
    "\(count) " + (count == 1 ? noun : plural ?? noun + "s")
}
