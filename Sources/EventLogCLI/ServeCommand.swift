// SPDX-License-Identifier: Apache-2.0
// `eventlog serve`: runs the `eventlog-serve` program (a separate binary, so
// that this tool and libeventlog.so carry no HTTP server), found next to
// this executable or else on PATH, with the arguments passed through.
import ArgumentParser
import Glibc

struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the logs under a directory over WebSocket and HTTP (runs eventlog-serve).",
        discussion: """
            Every log directory under ROOT is served by its path relative to ROOT: \
            WebSocket streams at /v1/logs/NAME/stream?from=OFFSET|oldest|latest (resume \
            with from=<last offset + 1>, or cursor=NAME and {"ack": OFFSET} messages), \
            Server-Sent Events at /v1/logs/NAME/events, batch reads and appends at \
            /v1/logs/NAME/records, the list at /v1/logs, and a live page at /.

            Options (all passed to the eventlog-serve program, installed beside eventlog): \
            --listen HOST:PORT (127.0.0.1:8080; other than loopback needs --token-file), \
            --token-file FILE, --allow-append, --max-frame-bytes (1 MiB), --max-message-rate \
            (1000/s), --max-connections-per-client (64), --stall-seconds (10), --ping-seconds (15). \
            `eventlog serve --help` prints eventlog-serve's own help; Docs/SERVE.md has the \
            protocol, close codes and limits.

            Examples:
              eventlog serve /var/lib/events
              eventlog serve /var/lib/events --listen 0.0.0.0:8080 --token-file /etc/eventlog/token
            """)

    @Argument(parsing: .captureForPassthrough, help: "ROOT and the options of eventlog-serve.")
    var arguments: [String] = []

    static let programName = "eventlog-serve"

    func run() throws {
        guard let program = Self.findProgram() else {
            throw Failure(
                "\(Self.programName) was not found next to \(Self.ownDirectory() ?? "this program") or on PATH; "
                    + "install it (CMake option EVENTLOG_BUILD_SERVE) or build it with `swift build --package-path Serve --product eventlog-serve`"
            )
        }
        var cArguments = ([program] + arguments).map { strdup($0) } + [nil]
        execv(program, &cArguments)
        throw Failure("\(program): cannot run it (\(String(cString: strerror(errno))))")
    }

    static func ownDirectory() -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard length > 0 else { return nil }
        let path = String(decoding: buffer[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard let slash = path.lastIndex(of: "/") else { return nil }
        return String(path[..<slash])
    }

    static func findProgram() -> String? {
        let path = getenv("PATH").map { String(cString: $0).split(separator: ":").map(String.init) } ?? []
        let directories = [ownDirectory()].compactMap { $0 } + path
        return directories.map { $0 + "/" + programName }.first { access($0, X_OK) == 0 }
    }
}
