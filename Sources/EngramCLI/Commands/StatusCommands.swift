import ArgumentParser
import Foundation
import MemoryClient
import EngramAPI

struct StatsCommand: ConsoleCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats", abstract: "Index figures for every namespace, with totals.")

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions

    func execute(on console: Console) async throws {
        let client = connection.client(console)
        let namespaces = try await MemoryCLIRequest.run { () async throws(MemoryClientError) in
            try await client.namespaces()
        }
        if output.json {
            return console.print(try JSONOutput.line(NamespaceList(namespaces: namespaces)))
        }
        if namespaces.isEmpty { return console.printError("no namespaces yet") }
        console.out.write(EntryFormatting.namespaceStats(namespaces))
    }
}

struct HealthCommand: ConsoleCommand {
    static let configuration = CommandConfiguration(
        commandName: "health", abstract: "Whether engramd answers, its version and uptime.",
        discussion: "Exit status 0 when the daemon reports ok, 5 when it cannot be reached.")

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions

    func execute(on console: Console) async throws {
        let client = connection.client(console)
        let health = try await MemoryCLIRequest.run { () async throws(MemoryClientError) in try await client.health() }
        if output.json { return console.print(try JSONOutput.line(health)) }
        var view = KeyValueRenderer()
        view.append("status", health.status)
        view.append("version", health.version)
        view.append("pid", "\(health.pid)")
        view.append("uptime", ValueFormatting.duration(health.uptimeSeconds))
        view.append("socket", connection.socketPath(console))
        for key in health.details.keys.sorted() { view.append(key, health.details[key] ?? "") }
        console.out.write(view.render())
        if health.status != "ok" { throw CLIFailure(.unavailable, code: health.status, "engramd reports \(health.status)") }
    }
}
