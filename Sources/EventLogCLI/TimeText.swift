// SPDX-License-Identifier: Apache-2.0
// Timestamps as the CLI shows and accepts them: milliseconds since the Unix
// epoch, or ISO-8601 in UTC ("2026-11-29T10:00:00.000Z"), converted with
// Glibc's timegm and gmtime_r (the library avoids Foundation).
import Glibc

enum TimeText {
    /// "2026-11-29T10:00:00.250Z" for 1764410400250.
    static func iso8601(_ milliseconds: Int64) -> String {
        var seconds = time_t(milliseconds / 1000)
        var fraction = milliseconds % 1000
        if fraction < 0 {
            seconds -= 1
            fraction += 1000
        }
        var parts = tm()
        guard gmtime_r(&seconds, &parts) != nil else { return String(milliseconds) }
        var buffer = [CChar](repeating: 0, count: 64)
        let count = strftime(&buffer, buffer.count, "%Y-%m-%dT%H:%M:%S", &parts)
        let text = String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return text + "." + zeroPadded(fraction, 3) + "Z"
    }

    /// Milliseconds from "1764410400000" (also negative), or from ISO-8601:
    /// `YYYY-MM-DD`, optionally followed by `THH:MM`, `:SS`, `.fraction`, and
    /// a zone `Z` or `+HH:MM` / `-HH:MM` (UTC when none is given). A space
    /// may stand for the `T`.
    static func parse(_ text: String) -> Int64? {
        let bytes = Array(text.utf8)
        guard let first = bytes.first else { return nil }
        if first == UInt8(ascii: "-") || bytes.count < 10 || bytes[4] != UInt8(ascii: "-") {
            return Int64(text)
        }
        var scanner = Scanner(bytes: bytes)
        return scanner.iso8601()
    }

    private struct Scanner {
        let bytes: [UInt8]
        var at = 0

        mutating func number(digits: Int) -> Int? {
            guard bytes.count - at >= digits else { return nil }
            var value = 0
            for byte in bytes[at..<at + digits] {
                guard (48...57).contains(byte) else { return nil }
                value = value * 10 + Int(byte - 48)
            }
            at += digits
            return value
        }

        mutating func take(_ character: Character) -> Bool {
            guard at < bytes.count, bytes[at] == character.asciiValue! else { return false }
            at += 1
            return true
        }

        mutating func iso8601() -> Int64? {
            guard let year = number(digits: 4), take("-"), let month = number(digits: 2), take("-"),
                let day = number(digits: 2), (1...12).contains(month), (1...daysIn(month, year)).contains(day)
            else { return nil }
            var (hour, minute, second, milliseconds, zoneMinutes) = (0, 0, 0, 0, 0)
            if take("T") || take("t") || take(" ") {
                guard let h = number(digits: 2), take(":"), let m = number(digits: 2), h < 24, m < 60 else {
                    return nil
                }
                (hour, minute) = (h, m)
                if take(":") {
                    guard let s = number(digits: 2), s <= 60 else { return nil }
                    second = s
                    if take(".") || take(",") {
                        var scale = 100
                        let start = at
                        while let digit = number(digits: 1) {
                            milliseconds += digit * scale
                            scale /= 10
                        }
                        guard at > start else { return nil }
                    }
                }
                if !(take("Z") || take("z")), let sign = take("+") ? 1 : take("-") ? -1 : nil {
                    guard let zh = number(digits: 2), zh < 24 else { return nil }
                    _ = take(":")
                    guard let zm = number(digits: 2), zm < 60 else { return nil }
                    zoneMinutes = sign * (zh * 60 + zm)
                }
            }
            guard at == bytes.count else { return nil }
            var parts = tm(
                tm_sec: Int32(second), tm_min: Int32(minute), tm_hour: Int32(hour), tm_mday: Int32(day),
                tm_mon: Int32(month - 1), tm_year: Int32(year - 1900), tm_wday: 0, tm_yday: 0, tm_isdst: 0,
                tm_gmtoff: 0, tm_zone: nil)
            let seconds = Int64(timegm(&parts)) - Int64(zoneMinutes) * 60
            return seconds * 1000 + Int64(milliseconds)
        }

        func daysIn(_ month: Int, _ year: Int) -> Int {
            switch month {
            case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
            case 4, 6, 9, 11: 30
            default: 31
            }
        }
    }
}
