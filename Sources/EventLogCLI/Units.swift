// SPDX-License-Identifier: Apache-2.0
// Sizes and durations given on the command line, with units. A plain
// number keeps its old meaning (bytes, milliseconds). Sizes follow the SI
// and IEC prefixes as `numfmt`, systemd and the disk makers do: KB, MB, GB,
// TB are powers of 1000, KiB, MiB, GiB, TiB powers of 1024; a bare K, M or
// G is refused because tools disagree on it. Durations are one or more
// number-unit pairs, as Go's time.ParseDuration reads them: 500ms, 30s,
// 90m, 12h, 7d, 2w, 1h30m.
import ArgumentParser

enum Units {
    static let sizeHelp = "bytes, or with a unit: 10GB (10^9 each), 10GiB (2^30 each)"
    static let durationHelp = "ms, or with units: 500ms, 30s, 90m, 12h, 7d, 1h30m"

    private static let sizeUnits: [(String, UInt64)] = [
        ("b", 1), ("kb", 1000), ("mb", 1_000_000), ("gb", 1_000_000_000), ("tb", 1_000_000_000_000),
        ("kib", 1 << 10), ("mib", 1 << 20), ("gib", 1 << 30), ("tib", 1 << 40),
    ]

    private static let durationUnits: [(String, Int64)] = [
        ("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000), ("d", 86_400_000), ("w", 604_800_000),
    ]

    /// A size in bytes: `1048576`, `64MiB`, `10GB`, `10 GB`; units in any case.
    static func bytes(_ text: String) throws -> UInt64 {
        let pairs = try numbersAndUnits(text)
        guard pairs.count == 1, let (number, unit) = pairs.first else {
            throw ValidationError("expected one number with at most one unit, such as 10GB")
        }
        guard !unit.isEmpty else { return number }
        guard let (_, scale) = sizeUnits.first(where: { $0.0 == unit.lowercased() }) else {
            throw ValidationError(
                "unknown size unit '\(unit)' (use B, KB, MB, GB, TB for powers of 1000, or KiB, MiB, GiB, TiB for "
                    + "powers of 1024)")
        }
        let (bytes, overflow) = number.multipliedReportingOverflow(by: scale)
        guard !overflow else { throw ValidationError("\(text) is more bytes than 64 bits hold") }
        return bytes
    }

    /// A duration in milliseconds: `3600000`, `500ms`, `90m`, `7d`, `1h30m`.
    static func milliseconds(_ text: String) throws -> Int64 {
        let pairs = try numbersAndUnits(text)
        if pairs.count == 1, let (number, unit) = pairs.first, unit.isEmpty {
            guard let ms = Int64(exactly: number) else { throw ValidationError("\(text) ms is too long") }
            return ms
        }
        var total: Int64 = 0
        for (number, unit) in pairs {
            guard let (_, scale) = durationUnits.first(where: { $0.0 == unit }) else {
                throw ValidationError(
                    unit.isEmpty
                        ? "a unit is missing after \(number) in '\(text)' (ms, s, m, h, d, w)"
                        : "unknown time unit '\(unit)' (use ms, s, m, h, d, w)")
            }
            guard let part = Int64(exactly: number), case let (ms, false) = part.multipliedReportingOverflow(by: scale),
                case let (sum, false) = total.addingReportingOverflow(ms)
            else { throw ValidationError("\(text) is too long a time") }
            total = sum
        }
        return total
    }

    /// `text` as runs of digits each followed by a (possibly empty) run of
    /// letters; spaces between a number and its unit are allowed.
    private static func numbersAndUnits(_ text: String) throws -> [(UInt64, String)] {
        var pairs: [(UInt64, String)] = []
        var rest = Substring(text)
        while !rest.isEmpty {
            let digits = rest.prefix(while: { $0.isASCII && $0.isNumber })
            guard !digits.isEmpty else {
                throw ValidationError("expected a number at '\(rest)' (a whole number, optionally with a unit)")
            }
            guard let number = UInt64(digits) else { throw ValidationError("\(digits) is too large") }
            rest = rest.dropFirst(digits.count).drop(while: { $0 == " " })
            let unit = rest.prefix(while: \.isLetter)
            rest = rest.dropFirst(unit.count)
            pairs.append((number, String(unit)))
        }
        guard !pairs.isEmpty else { throw ValidationError("expected a number") }
        return pairs
    }
}
