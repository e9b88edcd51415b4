// SPDX-License-Identifier: Apache-2.0
// How the `eventlog` tool reads its command line: unknown commands with
// the nearest match, and sizes and durations with units.
import EventLog
import Foundation
import Testing

@Suite struct CLICommandLineTests {
    @Test(arguments: [
        (["bogus", "big"], "eventlog: unknown command 'bogus' (commands: info, dump, tail"),
        (["dupm", "x"], "eventlog: unknown command 'dupm'; did you mean 'dump'?"),
        (["comapct", "x"], "eventlog: unknown command 'comapct'; did you mean 'compact'?"),
        (["retnetion"], "eventlog: unknown command 'retnetion'; did you mean 'retention'?"),
        (["inf", "x", "--json"], "eventlog: unknown command 'inf'; did you mean 'info'?"),
    ])
    func anUnknownCommandIsNamedWithTheNearestMatch(arguments: [String], message: String) throws {
        let result = try CLI.run(arguments)
        #expect(result.status == 2)
        #expect(result.stderr.hasPrefix(message), "\(result.stderr)")
        #expect(result.stdout.isEmpty)
    }

    @Test func commandsHelpAndVersionStillParse() throws {
        #expect(try CLI.run(["help", "dump"]).stdout.contains("USAGE: eventlog dump"))
        #expect(try CLI.run(["--version"]).status == 0)
        #expect(try CLI.run(["dump", "--help"]).status == 0)
    }

    /// A retention dry run's report, with the limits given as `limits`.
    private static func retentionReport(_ path: String, _ limits: [String]) throws -> String {
        let result = try CLI.run(["retention", path, "--dry-run", "--json"] + limits)
        #expect(result.status == 0, "\(limits): \(result.stderr)")
        return result.stdout
    }

    @Test func sizesTakeDecimalAndBinaryUnits() throws {
        let dir = TemporaryDirectory()
        let path = dir.child("log")
        _ = try CLITests.makeLog(path)
        let pairs = [
            ("3KB", "3000"), ("3kb", "3000"), ("3 KB", "3000"), ("3KiB", "3072"), ("5kib", "5120"),
            ("1MB", "1000000"), ("1MiB", "1048576"), ("7B", "7"),
        ]
        for (withUnit, plain) in pairs {
            #expect(
                try Self.retentionReport(path, ["--retention-bytes", withUnit])
                    == Self.retentionReport(path, ["--retention-bytes", plain]), "\(withUnit)")
        }
        // 3 KB and 3 KiB keep different amounts of this log.
        #expect(
            try Self.retentionReport(path, ["--retention-bytes", "6KB"])
                != Self.retentionReport(path, ["--retention-bytes", "12KiB"]))
        let compact = try CLI.run(["compact", path, "--dry-run", "--max-segment-bytes", "64MiB"])
        #expect(compact.status == 0, "\(compact.stderr)")
    }

    @Test func durationsTakeUnits() throws {
        let dir = TemporaryDirectory()
        let path = dir.child("log")
        _ = try CLITests.makeLog(path)
        // The records are from November 2025: older than a day, younger than
        // a thousand days.
        let all = try Self.retentionReport(path, ["--retention-ms", "86400000"])
        let none = try Self.retentionReport(path, ["--retention-ms", "86400000000"])
        #expect(all != none)
        for text in ["1d", "24h", "1440m", "86400s", "86400000ms", "23h60m", "1d0h", "1 d"] {
            #expect(try Self.retentionReport(path, ["--retention-ms", text]) == all, "\(text)")
        }
        #expect(try Self.retentionReport(path, ["--retention-ms", "1000d"]) == none)
        let compact = try CLI.run(["compact", path, "--dry-run", "--delete-retention-ms", "90m"])
        #expect(compact.status == 0, "\(compact.stderr)")

        let started = Date()
        let tail = try CLI.run(["tail", path, "-f", "--timeout-ms", "300ms", "--last", "0"])
        #expect(tail.status == 0, "\(tail.stderr)")
        #expect(Date().timeIntervalSince(started) >= 0.3)
    }

    @Test(arguments: [
        (["--retention-bytes", "10XB"], "unknown size unit 'XB' (use B, KB, MB, GB, TB for powers of 1000"),
        (["--retention-bytes", "10G"], "unknown size unit 'G'"),
        (["--retention-bytes", "1.5GB"], "expected a number at '.5GB'"),
        (["--retention-bytes", "GB"], "expected a number at 'GB'"),
        (["--retention-bytes", "20000000TB"], "more bytes than 64 bits hold"),
        (["--retention-bytes", "1GB2MB"], "expected one number with at most one unit"),
        (["--retention-ms", "5x"], "unknown time unit 'x' (use ms, s, m, h, d, w)"),
        (["--retention-ms", "1h5"], "a unit is missing after 5 in '1h5'"),
        (["--retention-ms=-5s"], "expected a number at '-5s'"),
        (["--retention-ms", "99999999999w"], "too long a time"),
    ])
    func aBadUnitIsAUsageErrorThatSaysWhichUnitsExist(limit: [String], message: String) throws {
        let dir = TemporaryDirectory()
        let path = dir.child("log")
        _ = try CLITests.makeLog(path, count: 10)
        let result = try CLI.run(["retention", path] + limit)
        #expect(result.status == 2)
        #expect(result.stderr.contains(message), "\(result.stderr)")
        #expect(result.stderr.contains(limit[0].prefix { $0 != "=" }), "\(result.stderr)")
    }
}
