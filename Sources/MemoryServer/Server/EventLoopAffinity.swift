import HummingbirdCore
import Logging
import NIOCore

/// A `TaskExecutor` that runs jobs on one NIO event loop.
///
/// Why: Hummingbird serves each connection in a task on Swift's cooperative pool, while the
/// connection's bytes are read and written on its channel's event loop. Every request therefore
/// crosses threads twice (the request from the loop to the pool, the response back), and each
/// crossing can wake a thread that went idle while the handler ran. With the connection's
/// task preferring its channel's loop (``EventLoopAffineChannel``), reading, handling and
/// writing happen on one thread and no wake-up is needed between them. Measured with
/// `engram-socket-bench`: a lower async-client search p50 and more searches/s with concurrent
/// clients (see docs/performance.md#socket-search-path-and-daemon-threads).
///
/// Cost: `enqueue` is one `EventLoop.execute` (a task-queue push; a wake-up only when called
/// from another thread).
final class EventLoopTaskExecutor: TaskExecutor {
    let eventLoop: any EventLoop

    init(_ eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute {
            job.runSynchronously(on: self.asUnownedTaskExecutor())
        }
    }
}

/// A Hummingbird child channel whose connection task runs on the channel's own event loop.
///
/// Precondition for using it: nothing a handler does inline blocks for long — the event loop
/// also serves the other connections assigned to it. In this server every blocking engine call
/// (LMDB commits, embeddings, lock waits) already runs on ``BlockingWorkPool``; what stays
/// inline is in-memory vector search (short: see
/// docs/performance.md#socket-search-path-and-daemon-threads), which the cooperative pool
/// would run on a thread of the same count anyway.
struct EventLoopAffineChannel<Base: ServerChildChannel>: ServerChildChannel {
    typealias Value = Base.Value
    let base: Base

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        base.setup(channel: channel, logger: logger)
    }

    func handle(value: Value, logger: Logger) async {
        let executor = EventLoopTaskExecutor(value.channel.eventLoop)
        await withTaskExecutorPreference(executor) {
            await base.handle(value: value, logger: logger)
        }
    }
}

extension HTTPServerBuilder {
    /// `.http1(configuration:)` with each connection's task on its channel's event loop
    /// (``EventLoopAffineChannel``).
    static func http1OnEventLoop(configuration: HTTP1Channel.Configuration) -> HTTPServerBuilder {
        .init { responder in
            EventLoopAffineChannel(base: HTTP1Channel(responder: responder, configuration: configuration))
        }
    }
}
