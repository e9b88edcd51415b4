// SPDX-License-Identifier: Apache-2.0
// Progress of long commands (`compact`, `verify`, `recover`, `dump` to a
// file, `ship`, `import`) on standard error. By default it shows only when standard error is
// a terminal, as a bar redrawn in place; --progress forces it on, and then
// into a file or pipe it prints a plain line at most once a second (and at
// the start and the end) instead of carriage returns; --no-progress turns
// it off. A Progress belongs to one thread at a time.
import ArgumentParser
import EventLogStorage
import Glibc
import Synchronization

/// --progress / --no-progress.
struct ProgressOption: ParsableArguments {
    @Flag(
        inversion: .prefixedNo,
        help: "Show progress on standard error (default: when it is a terminal).")
    var progress: Bool?

    /// A reporter for `label`, or nil when progress is off. `quietOnTerminalOutput`:
    /// off by default when standard output is a terminal too (dump's records
    /// would mix with the bar).
    func reporter(_ label: String, quietOnTerminalOutput: Bool = false) -> Progress? {
        let stderrIsTerminal = isTerminal(STDERR_FILENO)
        switch progress {
        case false: return nil
        case true: return Progress(label, redrawn: stderrIsTerminal)
        case nil:
            guard stderrIsTerminal, !(quietOnTerminalOutput && isTerminal(STDOUT_FILENO)) else { return nil }
            return Progress(label, redrawn: true)
        }
    }
}

final class Progress {
    enum Unit {
        case bytes, records
    }

    private let label: String
    private let redrawn: Bool
    private var lastShown: UInt64?
    private var lastPhase = ""
    private var drawn = false
    static let barWidth = 30

    init(_ label: String, redrawn: Bool) {
        self.label = label
        self.redrawn = redrawn
    }

    /// Shows `done` of `total` if enough time has passed since the last
    /// report (100 ms for a bar, 1 s for lines), or the phase changed.
    func update(_ done: UInt64, of total: UInt64, _ unit: Unit, phase: String = "") {
        let now = monotonicMilliseconds()
        let interval: UInt64 = redrawn ? 100 : 1000
        if let lastShown, now - lastShown < interval, phase == lastPhase { return }
        lastShown = now
        lastPhase = phase
        show(min(done, total), of: total, unit, phase: phase)
    }

    /// The last report: `done` of `total`, and the end of the bar's line.
    func finish(_ done: UInt64, of total: UInt64, _ unit: Unit, phase: String = "") {
        show(min(done, total), of: total, unit, phase: phase)
        if redrawn { printError("") }
    }

    /// Shows a line of counts for work without a known total (ship, import
    /// --follow), at the same pace as `update`.
    func status(_ text: String) {
        let now = monotonicMilliseconds()
        if let lastShown, now - lastShown < (redrawn ? 100 : 1000) { return }
        lastShown = now
        showStatus(text)
    }

    /// The last status line, and the end of a redrawn line.
    func finishStatus(_ text: String) {
        showStatus(text)
        if redrawn { printError("") }
    }

    private func showStatus(_ text: String) {
        printError(redrawn ? "\r\u{1B}[K\(label): \(text)" : "\(label): \(text)", newline: !redrawn)
        drawn = true
    }

    /// Runs `body`, which reports its state as it goes, showing each state
    /// as a status line (`line`) and the final one as the last.
    static func showingStatus<State>(
        _ progress: Progress?, _ line: @escaping (State) -> String, _ body: ((State) -> Void) throws -> State
    ) throws -> State {
        do {
            let final = try body { progress?.status(line($0)) }
            progress?.finishStatus(line(final))
            return final
        } catch {
            progress?.abandon()
            throw error
        }
    }

    /// Ends the bar's line, if one was drawn, so that an error message
    /// starts on a line of its own.
    func abandon() {
        if redrawn && drawn { printError("") }
    }

    private func show(_ done: UInt64, of total: UInt64, _ unit: Unit, phase: String) {
        let percent = total == 0 ? 100 : Int(Double(done) / Double(total) * 100)
        let amounts =
            unit == .bytes
            ? "\(shortByteCount(done)) of \(shortByteCount(total))" : "\(done) of \(total) records"
        let name = phase.isEmpty ? label : "\(label) (\(phase))"
        if redrawn {
            let filled = total == 0 ? Self.barWidth : Int(Double(done) / Double(total) * Double(Self.barWidth))
            let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: Self.barWidth - filled)
            // Carriage return and erase-line: the bar is redrawn in place.
            printError("\r\u{1B}[K\(name) [\(bar)] \(percent)% \(amounts)", newline: false)
        } else {
            printError("\(name): \(percent)% (\(amounts))")
        }
        drawn = true
    }
}

/// Progress through the segments of a log while a library call that
/// reports none (verify, recover) reads them in order: a thread looks every
/// 100 ms at which segment file of the directory this process has open
/// (/proc/self/fd) and counts the bytes of the segments before it as done.
/// Only reads /proc; stops when `run` returns.
enum SegmentProgress {
    static func run<T>(
        _ progress: Progress?, directory: String, phase: String = "", _ body: () throws -> T
    ) rethrows -> T {
        guard let progress else { return try body() }
        let segments = segmentSizes(directory)
        let total = segments.reduce(0) { $0 + $1.size }
        let watcher = Watcher(progress: progress, directory: directory, segments: segments, phase: phase)
        watcher.start()
        let result: T
        do { result = try body() } catch {
            watcher.stop()
            progress.abandon()
            throw error
        }
        watcher.stop()
        progress.finish(total, of: total, .bytes, phase: phase)
        return result
    }

    struct Segment: Sendable {
        var name: String
        var size: UInt64
    }

    /// The `.log` files of `directory`, in the order of their base offsets.
    static func segmentSizes(_ directory: String) -> [Segment] {
        guard let dir = opendir(directory) else { return [] }
        defer { closedir(dir) }
        var segments: [Segment] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) {
                String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self)
            }
            guard name.count == 24, name.hasSuffix(".log"), name.dropLast(4).allSatisfy(\.isNumber) else { continue }
            var info = stat()
            guard stat(directory + "/" + name, &info) == 0 else { continue }
            segments.append(Segment(name: name, size: UInt64(info.st_size)))
        }
        // Zero-padded names sort as their base offsets do.
        return segments.sorted { $0.name < $1.name }
    }

    private final class Watcher: @unchecked Sendable {
        // Set once by stop(); the watching thread reads it. `progress` is
        // used only by the watching thread until stop() has joined it.
        private let stopped = Atomic<Bool>(false)
        private let progress: Progress
        private let directory: String
        private let segments: [Segment]
        private let phase: String
        private var thread: pthread_t?

        init(progress: Progress, directory: String, segments: [Segment], phase: String) {
            self.progress = progress
            self.directory = directory
            self.segments = segments
            self.phase = phase
        }

        func start() {
            // Without a thread there is no progress, and nothing else lost.
            thread = try? startThread { self.watch() }
        }

        func stop() {
            stopped.store(true, ordering: .releasing)
            if let thread { pthread_join(thread, nil) }
        }

        private func watch() {
            let total = segments.reduce(0) { $0 + $1.size }
            while !stopped.load(ordering: .acquiring) {
                if let open = openSegment(), let index = segments.firstIndex(where: { $0.name == open }) {
                    let done = segments[..<index].reduce(0) { $0 + $1.size }
                    progress.update(done, of: total, .bytes, phase: phase)
                }
                usleep(100_000)
            }
        }

        /// The name of a segment file of the directory open in this process.
        private func openSegment() -> String? {
            guard let fds = opendir("/proc/self/fd") else { return nil }
            defer { closedir(fds) }
            var target = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            while let entry = readdir(fds) {
                let fd = withUnsafeBytes(of: entry.pointee.d_name) {
                    String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self)
                }
                let length = readlink("/proc/self/fd/" + fd, &target, target.count - 1)
                guard length > 0 else { continue }
                let path = String(decoding: target[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
                guard path.hasSuffix(".log"), let slash = path.lastIndex(of: "/") else { continue }
                let name = String(path[path.index(after: slash)...])
                if segments.contains(where: { $0.name == name }) { return name }
            }
            return nil
        }
    }
}
