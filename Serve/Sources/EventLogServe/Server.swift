// SPDX-License-Identifier: Apache-2.0
// The server: Hummingbird's HTTP/1.1 with WebSocket upgrade on SwiftNIO,
// the routes, the token check, and shutdown. SIGTERM or SIGINT stops
// accepting, closes every WebSocket with a close frame (1000) and, once the
// connections are gone, closes the logs (appended records written, acks
// were committed as they came).
import Hummingbird
import HummingbirdCore
import HummingbirdWebSocket
import Logging

public struct Server: Sendable {
    let options: ServeOptions
    let catalog: LogCatalog

    public init(options: ServeOptions) throws(LogNameError) {
        self.options = options
        catalog = LogCatalog(names: try LogNames(root: options.root), allowAppend: options.allowAppend)
    }

    /// HTTP/1.1 with the WebSocket upgrade, behind the first-request deadline.
    private func server(_ webSocketRouter: Router<ServeContext>) -> HTTPServerBuilder {
        let webSocketResponder = webSocketRouter.buildResponder()
        let configuration = HTTP1WebSocketUpgradeChannel.Configuration(
            // Between requests a connection gets as long as before its first
            // one: kept open for ever, idle keep-alive connections (or ones
            // that send half of their next request) would pile up until the
            // server ran out of file descriptors and accepted no one.
            // Hummingbird does not count a response in progress (an event
            // stream) as idle, and a WebSocket leaves HTTP behind.
            http1: .init(idleTimeout: .seconds(RequestDeadlineHandler.seconds)),
            ws: .init(
                maxFrameSize: options.maxFrameBytes,
                autoPing: .enabled(timePeriod: .seconds(options.pingSeconds)),
                closeTimeout: .seconds(5)))
        return HTTPServerBuilder { responder in
            DeadlineChildChannel(
                inner: HTTP1WebSocketUpgradeChannel(
                    responder: responder, webSocketResponder: webSocketResponder, configuration: configuration))
        }
    }

    /// Runs until SIGTERM or SIGINT; `onListening` gets the bound port.
    public func run(onListening: @escaping @Sendable (Int) -> Void = { _ in }) async throws {
        let connections = ConnectionCounter(limit: options.maxConnectionsPerClient)
        let router = Router(context: ServeContext.self)
        let webSocketRouter = Router(context: ServeContext.self)
        if let token = options.token {
            router.add(middleware: TokenMiddleware(token: Array(token.utf8)))
        }
        LogRoutes(catalog: catalog, options: options, connections: connections).add(to: router)
        StreamRoute(catalog: catalog, options: options, connections: connections).add(to: webSocketRouter)
        var logger = Logger(label: "eventlog-serve")
        logger.logLevel = .warning
        let app = Application(
            router: router,
            server: server(webSocketRouter),
            configuration: .init(address: .hostname(options.host, port: options.port), serverName: "eventlog-serve"),
            onServerRunning: { channel in onListening(channel.localAddress?.port ?? 0) },
            logger: logger)
        defer { catalog.closeAll() }
        try await app.runService()
    }
}
