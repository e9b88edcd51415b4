// SPDX-License-Identifier: Apache-2.0
// Progress of long commands (`compact`, `verify`, `recover`, `dump` to a
// file, `ship`, `import`) on standard error. By default it shows only when
// standard error is a terminal, as a bar redrawn in place; --progress forces
// it on, and then into a file or pipe it prints a plain line at most once a
// second (and at the start and the end) instead of carriage returns;
// --no-progress turns it off. A Progress belongs to one thread at a time.
import ArgumentParser
import Glibc

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

    /// Runs `body`, which reports bytes done and in all as it goes (the
    /// library's progress callbacks of verify, recover and compact), showing
    /// each report, named by what `phase` says at the time, and ending with
    /// the last (if any came).
    static func showingBytes<T>(
        _ progress: Progress?, phase: @escaping () -> String = { "" }, _ body: (((UInt64, UInt64) -> Void)?) throws -> T
    ) throws -> T {
        guard let progress else { return try body(nil) }
        var last: (done: UInt64, total: UInt64)?
        do {
            let result = try body { done, total in
                last = (done, total)
                progress.update(done, of: total, .bytes, phase: phase())
            }
            if let last { progress.finish(last.done, of: last.total, .bytes, phase: phase()) }
            return result
        } catch {
            progress.abandon()
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
