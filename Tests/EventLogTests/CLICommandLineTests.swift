// How the `eventlog` tool reads its command line: unknown commands with
// the nearest match.
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
}
