@testable import MemoryServer
import NIOCore
import NIOPosix
import Testing

@Suite("Connection tasks on their channel's event loop")
struct EventLoopAffinityTests {
    @Test("a task preferring an EventLoopTaskExecutor runs on that loop, across suspensions and in child tasks")
    func executorRunsJobsOnItsLoop() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let loop = group.next()
        let executor = EventLoopTaskExecutor(loop)
        let (first, afterSleep, children) = await withTaskExecutorPreference(executor) {
            let first = loop.inEventLoop
            // Resumed by a timer: the continuation must come back to the loop.
            try? await Task.sleep(for: .milliseconds(5))
            let afterSleep = loop.inEventLoop
            let children = await withTaskGroup(of: Bool.self) { tasks in
                for _ in 0..<32 { tasks.addTask { loop.inEventLoop } }
                return await tasks.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            return (first, afterSleep, children)
        }
        #expect(first)
        #expect(afterSleep)
        #expect(children == 32)
        // Without the preference the same code is not on the loop.
        #expect(!loop.inEventLoop)
        try await group.shutdownGracefully()
    }

    @Test("the daemon's handlers run on an event loop, and come back to it after blocking-pool work")
    func handlersRunOnTheConnectionsLoop() async throws {
        let directory = try makeSocketDirectory()
        try await withServer(testConfiguration(socketPath: "\(directory)/d.sock")) { _, client in
            for _ in 0..<5 {
                let response = try await client.request("GET", "/test/thread")
                #expect(response.status == 200)
                let json = try #require(response.json)
                let before = try #require(json["before"] as? String)
                #expect(before != "none")
                #expect(json["after"] as? String == before)
                #expect(json["pool_on_loop"] as? Bool == false)
            }
        }
    }
}
