#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch
import Synchronization

/// Ctrl-C as a flag that long-running commands poll (`index rebuild`, `import`,
/// `audit --follow`), so that they can stop cleanly (cancel the daemon's job, finish the
/// current batch) instead of dying mid-way.
///
/// A flag made with `listensToSIGINT` starts listening only when a command calls
/// ``arm()``: commands that never arm it keep the default SIGINT behaviour (terminate at once),
/// which is right for short requests. Tests call ``request()`` instead of sending a signal.
public final class InterruptFlag: Sendable {
    private let requested = Mutex<Bool>(false)
    private let listensToSIGINT: Bool
    /// The dispatch source that turns SIGINT into ``request()``; kept alive while armed.
    private let source = Mutex<(any DispatchSourceSignal)?>(nil)

    public init(listensToSIGINT: Bool = false) {
        self.listensToSIGINT = listensToSIGINT
    }

    /// Whether an interrupt arrived.
    public var isRequested: Bool { requested.withLock { $0 } }

    /// Records an interrupt (the SIGINT handler, or a test).
    public func request() { requested.withLock { $0 = true } }

    /// Starts catching SIGINT (idempotent). A second Ctrl-C after the first one was seen
    /// terminates the process at once, so an operator is never stuck with a command that
    /// does not stop.
    public func arm() {
        guard listensToSIGINT else { return }
        source.withLock { source in
            guard source == nil else { return }
            signal(SIGINT, SIG_IGN)
            let signalSource = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
            signalSource.setEventHandler { [weak self] in
                guard let self else { return }
                if self.isRequested {
                    signal(SIGINT, SIG_DFL)
                    raise(SIGINT)
                }
                self.request()
            }
            signalSource.resume()
            source = signalSource
        }
    }
}
