import ArgumentParser

/// A command that runs against the injected ``Console`` (never the process's streams directly).
protocol ConsoleCommand: AsyncParsableCommand {
    func execute(on console: Console) async throws
}

extension ConsoleCommand {
    mutating func run() async throws {
        try await execute(on: Console.current)
    }
}
