// SPDX-License-Identifier: Apache-2.0
// The WebSocket route: GET /v1/logs/{name}/stream with an Upgrade. The
// request is checked before the upgrade, so a bad name, query or token gets
// an HTTP status rather than a WebSocket that closes at once.
import Hummingbird
import HummingbirdWebSocket

struct StreamRoute: Sendable {
    let catalog: LogCatalog
    let options: ServeOptions
    let connections: ConnectionCounter

    func add(to router: Router<ServeContext>) {
        router.ws(
            "/v1/logs/**",
            shouldUpgrade: { request, context in
                _ = try prepare(request, context)
                return .upgrade([:])
            },
            onUpgrade: { inbound, outbound, wsContext in
                let context = wsContext.requestContext
                let (entry, stream) = try prepare(wsContext.request, context)
                let client = context.clientAddress
                try connections.enter(client)
                defer { connections.leave(client) }
                let session = StreamSession(
                    entry: entry, request: stream, options: options, catalog: catalog, outbound: outbound,
                    channel: context.channel)
                await session.run(inbound: inbound)
            })
    }

    private func prepare(_ request: Request, _ context: ServeContext) throws -> (OpenLog, StreamRequest) {
        let parts = context.parameters.getCatchAll()
        guard parts.count >= 2, parts.last == "stream" else {
            throw HTTPError(.notFound, message: "WebSocket streams are at /v1/logs/NAME/stream")
        }
        let name = parts.dropLast().joined(separator: "/")
        let query = Dictionary(
            request.uri.queryParameters.map { (String($0.key), String($0.value)) }, uniquingKeysWith: { a, _ in a })
        let stream: StreamRequest
        do { stream = try StreamRequest(query: query) } catch { throw HTTPError(.badRequest, message: error.message) }
        do { return (try catalog.log(name), stream) } catch {
            throw HTTPError(error.kind == .badName ? .badRequest : .notFound, message: error.message)
        }
    }
}
