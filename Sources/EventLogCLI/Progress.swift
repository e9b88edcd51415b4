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
        let stderrIsTerminal = isatty(STDERR_FILENO) == 1
        let shown = progress ?? (stderrIsTerminal && !(quietOnTerminalOutput && isatty(STDOUT_FILENO) == 1))
        return shown ? Progress(label, redrawn: stderrIsTerminal) : nil
    }
}

/// Unchecked Sendable: a batch job's callback reports from the job's task
/// while the command's thread waits, so there is one reporter at a time.
final class Progress: @unchecked Sendable {
    enum Unit { case bytes, records }

    private let label: String
    private let redrawn: Bool
    private var lastShown: UInt64?
    private var lastPhase = ""
    static let barWidth = 30

    init(_ label: String, redrawn: Bool) {
        self.label = label
        self.redrawn = redrawn
    }

    /// Shows `done` of `total`. `final`: the last report, which ends the
    /// bar's line.
    func update(_ done: UInt64, of total: UInt64, _ unit: Unit, phase: String = "", final: Bool = false) {
        show(phase: phase, final: final) {
            let done = min(done, total)
            let percent = total == 0 ? 100 : Int(Double(done) / Double(total) * 100)
            let amounts =
                unit == .bytes
                ? "\(shortByteCount(done)) of \(shortByteCount(total))" : "\(done) of \(total) records"
            let name = phase.isEmpty ? label : "\(label) (\(phase))"
            guard redrawn else { return "\(name): \(percent)% (\(amounts))" }
            let filled = total == 0 ? Self.barWidth : Int(Double(done) / Double(total) * Double(Self.barWidth))
            let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: Self.barWidth - filled)
            return "\(name) [\(bar)] \(percent)% \(amounts)"
        }
    }

    /// Shows a line of counts for work without a known total (ship, import
    /// --follow).
    func status(_ text: String, final: Bool = false) {
        show(final: final) { "\(label): \(text)" }
    }

    /// Shows `line` if it is final or the phase changed, or else if enough
    /// time has passed since the last report (100 ms for a bar, 1 s for
    /// lines).
    private func show(phase: String = "", final: Bool, _ line: () -> String) {
        let now = monotonicMilliseconds()
        if !final, let lastShown, now - lastShown < (redrawn ? 100 : 1000), phase == lastPhase { return }
        lastShown = now
        lastPhase = phase
        // Carriage return and erase-line: the bar is redrawn in place.
        printError(redrawn ? "\r\u{1B}[K" + line() : line(), newline: !redrawn)
        if final && redrawn { printError("") }
    }

    /// Runs `body`, which reports its state as it goes, showing each state
    /// as a status line (`line`) and the final one as the last.
    static func showingStatus<State>(
        _ progress: Progress?, _ line: @escaping (State) -> String, _ body: ((State) -> Void) throws -> State
    ) throws -> State {
        guard let progress else { return try body { _ in } }
        return try progress.endingLineOnError {
            let state = try body { progress.status(line($0)) }
            progress.status(line(state), final: true)
            return state
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
        return try progress.endingLineOnError {
            let result = try body { done, total in
                last = (done, total)
                progress.update(done, of: total, .bytes, phase: phase())
            }
            if let last { progress.update(last.done, of: last.total, .bytes, phase: phase(), final: true) }
            return result
        }
    }

    /// Runs `body`; when it fails, ends the bar's line, if one was drawn, so
    /// that the error message starts on a line of its own.
    private func endingLineOnError<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch {
            if redrawn && lastShown != nil { printError("") }
            throw error
        }
    }
}
