// engram-socket-bench: parses the arguments and runs the chosen command. The measuring command
// is async and has its own entry point (`execute`): from top-level code ArgumentParser's
// synchronous `run()` overload would be the one called.
import ArgumentParser
import VectorMath

// The kernels engramd would run (see BLASBackend.restartOnCapableKernelsIfNeeded()).
BLASBackend.restartOnCapableKernelsIfNeeded()

do {
    var command = try SocketBenchCommand.parseAsRoot()
    if let measure = command as? MeasureCommand {
        try await measure.execute()
    } else {
        try command.run()
    }
} catch {
    SocketBenchCommand.exit(withError: error)
}
