import ArgumentParser

/// The entry points: `engram`'s `main` calls ``main()``; tests call ``run(_:console:)`` with
/// argv and a captured console and read the exit status.
public enum EngramCLI {
    /// Parses `arguments` (without the program name), runs the command with `console` as
    /// ``Console/current``, prints any error on `console.err` and returns the exit status
    /// documented in ``ExitStatus``. Never throws and never exits the process.
    public static func run(_ arguments: [String], console: Console) async -> Int32 {
        await Console.$current.withValue(console) {
            defer {
                console.out.flush()
                console.err.flush()
            }
            do {
                var command = try EngramCommand.parseAsRoot(arguments)
                if var asyncCommand = command as? any AsyncParsableCommand {
                    try await asyncCommand.run()
                } else {
                    try command.run()
                }
                return ExitStatus.ok.rawValue
            } catch {
                return report(error, console: console)
            }
        }
    }

    /// Runs the process's own arguments on the standard console and exits with the status.
    public static func main() async -> Never {
        let console = Console.standard()
        let status = await run(Array(CommandLine.arguments.dropFirst()), console: console)
        exit(status)
    }

    /// Prints `error` and returns its exit status: ours (``CLIFailure``), ArgumentParser's
    /// (help and version on stdout with 0; usage errors on stderr with 2), or anything else
    /// as 1.
    static func report(_ error: any Error, console: Console) -> Int32 {
        switch error {
        case let failure as CLIFailure:
            console.printError(failure.description)
            return failure.status.rawValue
        case let exitCode as ExitCode:
            return exitCode.rawValue
        default:
            let code = EngramCommand.exitCode(for: error)
            let message = EngramCommand.fullMessage(for: error)
            if code == .success {
                if !message.isEmpty { console.print(message) }
                return ExitStatus.ok.rawValue
            }
            if code == .validationFailure {
                console.printError(message)
                return ExitStatus.usage.rawValue
            }
            console.printError("error: \(message.isEmpty ? String(describing: error) : message)")
            return ExitStatus.error.rawValue
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
