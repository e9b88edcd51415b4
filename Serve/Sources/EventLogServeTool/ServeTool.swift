// SPDX-License-Identifier: Apache-2.0
// `eventlog-serve` (also run as `eventlog serve`): the command line around
// EventLogServe.Server. Exit status: 0 after a clean shutdown, 1 failure,
// 2 usage error (a bad address, a non-loopback address without a token).
import ArgumentParser
import EventLogServe
import Foundation
import Glibc

@main
struct ServeTool: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eventlog serve",
        abstract: "Serve the logs under a directory over WebSocket, Server-Sent Events and HTTP.",
        discussion: """
            Every log directory under ROOT is served by its path relative to ROOT. Followers \
            connect to ws://HOST:PORT/v1/logs/NAME/stream?from=OFFSET|oldest|latest and resume \
            after a lost connection with from=<last offset seen + 1>, or with cursor=NAME and \
            {"ack": OFFSET} messages that commit a named cursor. The page at / shows a log live. \
            Docs/SERVE.md describes every endpoint, message, close code and limit.

            Listening on anything but a loopback address requires --token-file: clients then \
            send the token as "Authorization: Bearer TOKEN" or ?token=TOKEN. SIGTERM closes \
            every stream with a close frame and exits 0.

            Examples:
              eventlog serve /var/lib/events
              eventlog serve /var/lib/events --listen 0.0.0.0:8080 --token-file /etc/eventlog/token --allow-append
            """)

    @Argument(help: "The directory whose logs are served.")
    var root: String

    @Option(help: ArgumentHelp("The address to listen on (port 0: any free port).", valueName: "host:port"))
    var listen = "127.0.0.1:8080"

    @Option(help: ArgumentHelp("A file holding the token clients must present.", valueName: "file"))
    var tokenFile: String?

    @Flag(help: "Accept appends (POST .../records, {\"append\": ...}); logs are opened for writing.")
    var allowAppend = false

    @Option(help: ArgumentHelp("The largest frame or request body accepted, in bytes.", valueName: "bytes"))
    var maxFrameBytes = 1 << 20

    @Option(help: ArgumentHelp("Messages per second one WebSocket client may send.", valueName: "count"))
    var maxMessageRate = 1000

    @Option(help: ArgumentHelp("Open streams per client address.", valueName: "count"))
    var maxConnectionsPerClient = 64

    @Option(help: ArgumentHelp("Disconnect a client whose socket accepts nothing for this long.", valueName: "seconds"))
    var stallSeconds = 10

    @Option(help: ArgumentHelp("Seconds between pings (a client missing a pong is dropped).", valueName: "seconds"))
    var pingSeconds = 15

    /// Usage errors exit with 2, as the `eventlog` tool's do (not the
    /// argument parser's 64); other failures print their message and exit 1.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if let serve = command as? ServeTool {
                try await serve.run()
            } else {
                try command.run()
            }
        } catch {
            if exitCode(for: error) == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Glibc.exit(2)
            }
            exit(withError: error)
        }
    }

    func run() async throws {
        var options = ServeOptions(root: root)
        let (host, port) = try Self.parseListen(listen)
        options.host = host
        options.port = port
        if let tokenFile {
            guard let text = Self.readFile(tokenFile) else {
                throw ValidationError("--token-file: cannot read \(tokenFile)")
            }
            let token = text.trimmingCharacters(in: .whitespacesAndNewlines)
            guard token.utf8.count >= 16 else {
                throw ValidationError("--token-file: the token must be at least 16 bytes")
            }
            options.token = token
        } else if !Self.isLoopback(host) {
            throw ValidationError("--listen \(listen): a non-loopback address requires --token-file")
        }
        guard maxFrameBytes >= 1024, maxMessageRate > 0, maxConnectionsPerClient > 0, stallSeconds > 0, pingSeconds > 0
        else { throw ValidationError("limits must be positive (--max-frame-bytes at least 1024)") }
        options.allowAppend = allowAppend
        options.maxFrameBytes = maxFrameBytes
        options.maxMessagesPerSecond = maxMessageRate
        options.maxConnectionsPerClient = maxConnectionsPerClient
        options.stallSeconds = stallSeconds
        options.pingSeconds = pingSeconds
        let server: Server
        do { server = try Server(options: options) } catch { throw ValidationError("\(root): \(error.message)") }
        try await server.run { port in
            print("eventlog-serve: listening on http://\(host):\(port)")
            fflush(nil)
        }
    }

    static func parseListen(_ text: String) throws -> (String, Int) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
            (0...65535).contains(port)
        else { throw ValidationError("--listen \(text): expected HOST:PORT") }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { throw ValidationError("--listen \(text): expected HOST:PORT") }
        return (host, port)
    }

    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }

    static func readFile(_ path: String) -> String? {
        guard let file = fopen(path, "r") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = fread(&chunk, 1, chunk.count, file)
            if n <= 0 { break }
            bytes += chunk[0..<n]
            if bytes.count > 65536 { return nil }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
