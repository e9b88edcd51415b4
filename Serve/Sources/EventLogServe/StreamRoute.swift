// SPDX-License-Identifier: Apache-2.0
// The WebSocket route: GET /v1/logs/{name}/stream with an Upgrade. A
// refused upgrade reaches a browser only as close code 1006, whatever its
// HTTP status, so the request is checked after the upgrade instead, and a
// refusal is a close code that says why: 4401 (token), 4404 (no such log),
// 4400 (bad name or query), 4429 (too many streams from this address).
import Hummingbird
import HummingbirdWebSocket

struct StreamRoute: Sendable {
    let catalog: LogCatalog
    let options: ServeOptions
    let connections: ConnectionCounter

    func add(to router: Router<ServeContext>) {
        router.ws("/v1/logs/**") { inbound, outbound, wsContext in
            let context = wsContext.requestContext
            let prepared: (OpenLog, StreamRequest)
            let client = context.clientAddress
            do {
                prepared = try prepare(wsContext.request, context)
                guard connections.tryEnter(client) else {
                    throw SessionClose(
                        code: CloseCode.tooManyConnections,
                        reason: "more than \(connections.limit) open streams from \(client)")
                }
            } catch let close as SessionClose {
                try await outbound.close(CloseCode.code(close.code), reason: close.reason)
                return
            }
            defer { connections.leave(client) }
            let session = StreamSession(
                entry: prepared.0, request: prepared.1, options: options, catalog: catalog, outbound: outbound,
                channel: context.channel)
            try await session.run(inbound: inbound)
        }
    }

    private func prepare(_ request: Request, _ context: ServeContext) throws -> (OpenLog, StreamRequest) {
        if let token = options.token {
            guard let presented = TokenMiddleware.presentedToken(request),
                TokenMiddleware.constantTimeEqual(Array(presented.utf8), Array(token.utf8))
            else { throw SessionClose(code: CloseCode.unauthorized, reason: "a valid token is required (?token=)") }
        }
        let parts = context.parameters.getCatchAll()
        guard parts.count >= 2, parts.last == "stream" else {
            throw SessionClose(code: CloseCode.notFound, reason: "WebSocket streams are at /v1/logs/NAME/stream")
        }
        let name: String
        do { name = try LogNames.fromPath(parts.dropLast()) } catch {
            throw SessionClose(code: CloseCode.badRequest, reason: error.message)
        }
        let query = Dictionary(
            request.uri.queryParameters.map { (String($0.key), String($0.value)) }, uniquingKeysWith: { a, _ in a })
        let stream: StreamRequest
        do { stream = try StreamRequest(query: query) } catch {
            throw SessionClose(code: CloseCode.badRequest, reason: error.message)
        }
        do { return (try catalog.log(name), stream) } catch {
            throw SessionClose(
                code: error.kind == .badName ? CloseCode.badRequest : CloseCode.notFound, reason: error.message)
        }
    }
}
