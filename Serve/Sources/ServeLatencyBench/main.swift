// SPDX-License-Identifier: Apache-2.0
// The followers of bench/serve_bench.py's latency run as native WebSocket
// clients (Hummingbird's client on SwiftNIO), so that at 100 followers the
// figure is the server's rather than a Python event loop's. Each follower
// reads the wall-clock stamp (ns) that starts the value of the first record
// of every binary frame, and takes now minus that stamp as the frame's
// append-to-receipt latency.
// The client must accept frames as large as the server sends: a follower
// that falls behind gets up to 256 KiB of records in one frame, and
// Hummingbird's client refuses frames over 16 KiB by default (closing with
// 1009, which ends the connection without an error). It also counts the
// followers whose connection ended before the run's time was up, and
// prints how each closed (the close frame, or the error).
// Usage: serve-latency URL CLIENTS SECONDS   (prints one JSON object)
import Foundation
import HummingbirdWSClient
import Logging

let url = CommandLine.arguments[1]
let clients = Int(CommandLine.arguments[2]) ?? 100
let seconds = Double(CommandLine.arguments[3]) ?? 7

func wallClockNanoseconds() -> Int64 {
    var now = timespec()
    clock_gettime(CLOCK_REALTIME, &now)
    return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
}

/// One follower's samples: written by its handler only, read after the
/// connection ended.
final class Samples: @unchecked Sendable { var values: [Double] = [] }

/// The server's largest frame: `--max-frame-bytes`' default (1 MiB) holds
/// the largest batch (256 KiB plus one record).
let configuration = WebSocketClientConfiguration(maxFrameSize: 1 << 20)

let logger = Logger(label: "serve-latency")
// Each follower reads until the run's time is up; the samples it took
// count whatever way its connection ended.
let collector = Task {
    await withTaskGroup(of: (samples: [Double], endedEarly: Bool).self) { group in
        for _ in 0..<clients {
            group.addTask {
                let mine = Samples()
                do {
                    let close = try await WebSocketClient.connect(
                        url: url, configuration: configuration, logger: logger
                    ) {
                        inbound, _, _ in
                        for try await message in inbound.messages(maxSize: 1 << 26) {
                            guard case .binary(let frame) = message else { continue }
                            // The stamp that starts the value of the frame's first record
                            // (layout: Docs/SERVE.md): kind, version, 0, count; offset,
                            // timestamp, key length (-1), value length, value.
                            guard let length = frame.getInteger(at: frame.readerIndex + 28, as: Int32.self),
                                length > 0,
                                let value = frame.getString(at: frame.readerIndex + 32, length: Int(length)),
                                let sent = Int64(value.prefix { $0 != " " })
                            else { continue }
                            mine.values.append(Double(wallClockNanoseconds() - sent) / 1e6)
                        }
                    }
                    if !Task.isCancelled {
                        let code = close.map { "\($0.closeCode)" } ?? "none"
                        let reason = close?.reason ?? ""
                        FileHandle.standardError.write(
                            Data("serve-latency: closed after \(mine.values.count) frames: \(code) \(reason)\n".utf8))
                    }
                } catch {
                    // Cancellation is how every follower ends when the time is up.
                    if !Task.isCancelled { FileHandle.standardError.write(Data("serve-latency: \(error)\n".utf8)) }
                }
                return (mine.values, !Task.isCancelled)
            }
        }
        var all: [Double] = []
        var endedEarly = 0
        for await mine in group {
            all += mine.samples
            if mine.endedEarly { endedEarly += 1 }
        }
        return (latencies: all.sorted(), endedEarly: endedEarly)
    }
}
try await Task.sleep(for: .seconds(seconds))
collector.cancel()
let (latencies, endedEarly) = await collector.value
func pick(_ q: Double) -> Double {
    latencies.isEmpty ? .nan : latencies[min(latencies.count - 1, Int(q * Double(latencies.count)))]
}
print(
    "{\"latency_ms_p50\": \(pick(0.5)), \"latency_ms_p99\": \(pick(0.99)), \"latency_frames\": \(latencies.count), "
        + "\"ended_early\": \(endedEarly)}")
