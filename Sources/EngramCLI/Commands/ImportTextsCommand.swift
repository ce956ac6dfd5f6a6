import ArgumentParser
import EngramAPI
import Foundation
import MemoryClient
import MemoryEngine

struct ImportTextsCommand: ConsoleCommand {
    static let configuration = CommandConfiguration(
        commandName: "import-texts", abstract: "Load a file of texts into a namespace as new memories, in batches.",
        discussion: """
            One memory a line: a JSON object with remember's fields ("text" required; tags, metadata, \
            source, occurred_at, thread, vector…) or, in a plain text file, the line itself. Blank \
            lines are skipped. Lines go to engramd in batches (POST …/memories/batch), embedded \
            there on the batch threads; --in-flight batches are sent at once so the daemon embeds \
            one while it stores the other. A line the daemon refuses is reported on stderr with \
            its number and the others are stored; the exit status is then 7. With --dedupe learn \
            each line goes through learn's rules (a repeated fact reinforces the first copy). \
            Ctrl-C stops after the batches in flight (status 130). Whenever the import stops \
            early it prints the line to continue from: run the same command with --from LINE. \
            If the daemon died while a batch was in flight, that batch may have been stored; \
            continuing with --dedupe learn then reinforces instead of duplicating.
            """)

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var scope: NamespaceOption
    @Flag(help: "Print the summary as JSON (lines, created, learned, unchanged, failed, next_line, stopped).")
    var json = false
    @Argument(help: "The file ('-' reads standard input).") var file: String
    @Option(help: ArgumentHelp("auto, jsonl or text (auto: JSON Lines for .jsonl/.ndjson or a first line starting with '{').",
                               valueName: "format"))
    var format: String = TextLine.Format.auto.rawValue
    @Option(name: .customLong("tag"), help: ArgumentHelp("A tag added to every memory (repeatable).", valueName: "tag"))
    var tags: [String] = []
    @Option(help: ArgumentHelp("The source of every memory whose line names none.", valueName: "source"))
    var source: String?
    @Option(help: ArgumentHelp("Lines per request (1…\(Self.maxBatchItems)).", valueName: "n")) var batchSize: Int = 256
    @Option(help: ArgumentHelp("Requests in flight at once (1…8).", valueName: "n")) var inFlight: Int = 2
    @Option(help: ArgumentHelp("none (every line a new memory) or learn (reinforce near-duplicates).", valueName: "mode"))
    var dedupe: String = BatchDedupe.none.rawValue
    @Option(help: ArgumentHelp("The first line to import (1-based): where an earlier run stopped.", valueName: "line"))
    var from: Int = 1

    /// The daemon's limit on items per batch request.
    static let maxBatchItems = MemoryEngine.maxBatchItems
    /// A batch is sent before its lines pass this many bytes, and a longer line is refused, so
    /// a request stays well under the daemon's default body limit (4 MiB).
    static let maxBatchBytes = 1 << 20

    func validate() throws {
        guard (1...Self.maxBatchItems).contains(batchSize) else {
            throw ValidationError("--batch-size must be in 1…\(Self.maxBatchItems)")
        }
        guard (1...8).contains(inFlight) else { throw ValidationError("--in-flight must be in 1…8") }
        guard from >= 1 else { throw ValidationError("--from must be a line number, 1 or more") }
        guard TextLine.Format(rawValue: format) != nil else { throw ValidationError("--format must be auto, jsonl or text") }
        guard BatchDedupe(rawValue: dedupe) != nil else { throw ValidationError("--dedupe must be none or learn") }
    }

    func execute(on console: Console) async throws {
        console.interrupt.arm()
        let reader = try LineReader(path: file)
        let total = LineReader.countLines(path: file) ?? 0
        var loader = TextLoader(client: connection.client(console), console: console, namespace: scope.namespace,
                                dedupe: BatchDedupe(rawValue: dedupe) ?? .none, inFlight: inFlight)
        let progress = ProgressReporter(console: console)
        let defaults = TextLine.Defaults(tags: tags, source: source)
        var resolved: TextLine.Format?
        var lineNumber = 0
        var stop: TextLoader.Stop?
        while stop == nil {
            let line: ArraySlice<UInt8>
            do {
                guard let next = try reader.next() else { break }
                line = next
            } catch {
                stop = .failed(error)
                break
            }
            lineNumber += 1
            if TextLine.isBlank(line) { continue }
            // The format follows the file's first line, wherever the import starts.
            let lineFormat = resolved ?? (TextLine.Format(rawValue: format) ?? .auto).resolved(path: file, firstLine: line)
            resolved = lineFormat
            if lineNumber < from { continue }
            loader.linesRead += 1
            guard line.count <= Self.maxBatchBytes else {
                loader.bad(lineNumber, "the line holds \(line.count) bytes, more than one request carries (\(Self.maxBatchBytes))")
                continue
            }
            if loader.pendingBytes + line.count > Self.maxBatchBytes { stop = await loader.send() }
            if stop != nil { break }
            do {
                loader.add(try TextLine.request(line, format: lineFormat, defaults: defaults), line: lineNumber,
                           bytes: line.count)
            } catch {
                loader.bad(lineNumber, error.message)
            }
            if loader.pendingCount >= batchSize { stop = await loader.send() }
            if console.interrupt.isRequested && stop == nil { stop = .interrupted }
            if lineNumber % 64 == 0 { progress.update(label: "import-texts", phase: nil, done: lineNumber, total: total) }
        }
        if stop == nil { stop = await loader.finish() } else { _ = await loader.drain() }
        progress.update(label: "import-texts", phase: nil, done: lineNumber, total: max(total, lineNumber))
        progress.finish()
        let nextLine = loader.resumeLine ?? (lineNumber + 1)
        try report(loader, stop: stop, nextLine: nextLine, finished: stop == .finished, console: console)
    }

    private func report(_ loader: TextLoader, stop: TextLoader.Stop?, nextLine: Int, finished: Bool, console: Console) throws {
        if json {
            console.print(try JSONOutput.line(ImportTextsSummaryJSON(
                lines: loader.linesRead, created: loader.created, learned: loader.learned, unchanged: loader.unchanged,
                failed: loader.failed,
                next_line: finished ? nil : nextLine, stopped: finished ? nil : stop?.reason)))
        } else {
            console.print(loader.summary)
        }
        let resume = "to continue, run the same command with --from \(nextLine)"
        switch stop {
        case .interrupted:
            throw CLIFailure(.interrupted, code: "interrupted", "stopped before line \(nextLine); \(resume)")
        case .failed(let failure):
            throw CLIFailure(failure.status, code: failure.code, "\(failure.message); stopped at line \(nextLine); \(resume)")
        case .finished, nil:
            if loader.failed > 0 {
                throw CLIFailure(.problemsFound, code: "failed_lines",
                                 "\(loader.failed) line\(loader.failed == 1 ? "" : "s") not stored (listed above); the others were")
            }
        }
    }
}

/// The `--json` summary of `import-texts`.
struct ImportTextsSummaryJSON: Encodable {
    var lines: Int
    var created: Int
    var learned: Int
    var unchanged: Int
    var failed: Int
    var next_line: Int?
    var stopped: String?
}

/// Sends the lines of `import-texts` in batches, up to `inFlight` requests at once, and
/// takes their results back in order, so that the lines before ``resumeLine`` are exactly
/// the ones acknowledged.
struct TextLoader {
    /// Why the loading stopped.
    enum Stop: Equatable {
        case finished
        case interrupted
        case failed(CLIFailure)

        var reason: String {
            switch self {
            case .finished: "finished"
            case .interrupted: "interrupted"
            case .failed(let failure): failure.code ?? "error"
            }
        }
    }

    private struct Batch {
        var lines: [Int] = []
        var items: [RememberRequest] = []
    }

    let client: MemoryClient
    let console: Console
    let namespace: String
    let dedupe: BatchDedupe
    let inFlight: Int
    private var pending = Batch()
    private(set) var pendingBytes = 0
    private var sent: [(batch: Batch, task: Task<Result<BatchRememberResponse, MemoryClientError>, Never>)] = []
    var linesRead = 0
    private(set) var created = 0
    /// With `--dedupe learn`: lines that wrote nothing (a rejected claim, a pinned match).
    private(set) var unchanged = 0
    private(set) var learned = 0
    private(set) var failed = 0
    /// The first line not yet acknowledged, when some line is; `nil` when all are.
    private(set) var resumeLine: Int?
    /// The first line of the first request that failed.
    private var failedAt: Int?

    init(client: MemoryClient, console: Console, namespace: String, dedupe: BatchDedupe, inFlight: Int) {
        self.client = client
        self.console = console
        self.namespace = namespace
        self.dedupe = dedupe
        self.inFlight = inFlight
    }

    var pendingCount: Int { pending.items.count }

    mutating func add(_ request: RememberRequest, line: Int, bytes: Int) {
        if pending.lines.isEmpty && sent.isEmpty { resumeLine = line }
        pending.lines.append(line)
        pending.items.append(request)
        pendingBytes += bytes
    }

    /// A line that never became a request.
    mutating func bad(_ line: Int, _ message: String) {
        failed += 1
        console.printError("line \(line): \(message)")
    }

    /// Sends the pending batch, first waiting for the oldest request when `inFlight` are out.
    /// - Returns: why loading must stop, or `nil` to go on.
    mutating func send() async -> Stop? {
        if sent.count >= inFlight, let stop = await receiveOldest() { return stop }
        guard !pending.items.isEmpty else { return nil }
        let request = BatchRememberRequest(items: pending.items, dedupe: dedupe == .none ? nil : dedupe)
        let (client, namespace) = (client, namespace)
        let task = Task { () -> Result<BatchRememberResponse, MemoryClientError> in
            do throws(MemoryClientError) {
                return .success(try await client.rememberBatch(request, in: namespace))
            } catch {
                return .failure(error)
            }
        }
        sent.append((pending, task))
        pending = Batch()
        pendingBytes = 0
        return nil
    }

    /// Sends what is pending and waits for every request.
    mutating func finish() async -> Stop {
        if let stop = await send() {
            _ = await drain()
            return stop
        }
        return await drain() ?? .finished
    }

    /// Waits for every request in flight (after a stop: their results are still counted).
    /// - Returns: the first failure among them, if any.
    mutating func drain() async -> Stop? {
        var first: Stop?
        while !sent.isEmpty {
            if let stop = await receiveOldest(), first == nil { first = stop }
        }
        return first
    }

    /// Takes the oldest request's result: counts and reports its items, moves ``resumeLine``.
    private mutating func receiveOldest() async -> Stop? {
        let (batch, task) = sent.removeFirst()
        switch await task.value {
        case .failure(let error):
            // Requests sent after this one may still succeed; the resume point stays here.
            if failedAt == nil { failedAt = batch.lines.first }
            var failure = CLIFailure(error)
            if case .server = error {} else if let first = batch.lines.first, let last = batch.lines.last {
                // No answer (a timeout, a connection lost): the daemon may have stored it anyway.
                failure.message += "; lines \(first)–\(last) may have been stored without their answer arriving "
                    + "(--dedupe learn reinforces them instead of storing them twice)"
            }
            return .failed(failure)
        case .success(let response):
            for result in response.results where result.index >= 0 && result.index < batch.lines.count {
                let line = batch.lines[result.index]
                switch result.status {
                case BatchItemDocument.failedStatus:
                    failed += 1
                    console.printError("line \(line): \(result.error?.code ?? "error"): \(result.error?.message ?? "not stored")")
                case "created" where dedupe == .none:
                    created += 1
                case "rejected", "matched_pinned":
                    unchanged += 1
                default:
                    learned += 1
                }
            }
            if let failedAt, let first = batch.lines.first, let last = batch.lines.last {
                console.printError("""
                    lines \(first)–\(last) were stored by a request sent before line \(failedAt) failed; \
                    continuing from line \(failedAt) sends them again (--dedupe learn reinforces instead)
                    """)
            } else {
                resumeLine = sent.first?.batch.lines.first ?? pending.lines.first
            }
            return nil
        }
    }

    var summary: String {
        let verb = dedupe == .none ? "created \(created)" : "learned \(learned), unchanged \(unchanged)"
        return "\(linesRead) line\(linesRead == 1 ? "" : "s") read: \(verb), \(failed) not stored"
    }
}
