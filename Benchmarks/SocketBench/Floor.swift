import Foundation
import Synchronization

/// The floor: what one request/response exchange over AF_UNIX costs with nothing else — a
/// client thread sends `requestBytes`, an echo thread reads them and answers `responseBytes`,
/// one blocking `send`/`recv` loop each, one keep-alive connection per client. Same payload
/// sizes as the real search, so the difference to the end-to-end figure is what HTTP parsing,
/// JSON, the engine and the schedulers add.
final class FloorServer: Sendable {
    let path: String
    let requestBytes: Int
    let responseBytes: Int
    private let listener: Int32

    init(directory: String, requestBytes: Int, responseBytes: Int) throws {
        path = directory + "/floor.sock"
        self.requestBytes = requestBytes
        self.responseBytes = responseBytes
        listener = try RawSocket.listen(path)
        let listener = self.listener
        // One thread per accepted connection; a thread ends when its client closes.
        let acceptor = Thread {
            while true {
                let client = accept(listener, nil, nil)
                if client < 0 {
                    if errno == EINTR { continue }
                    return  // listener closed
                }
                let worker = Thread {
                    defer { close(client) }
                    let request = UnsafeMutableRawBufferPointer.allocate(byteCount: requestBytes, alignment: 16)
                    let response = UnsafeMutableRawBufferPointer.allocate(byteCount: responseBytes, alignment: 16)
                    defer { request.deallocate(); response.deallocate() }
                    response.initializeMemory(as: UInt8.self, repeating: 0x61)
                    while RawSocket.receiveExactly(client, request) {
                        guard RawSocket.sendAll(client, UnsafeRawBufferPointer(response)) else { return }
                    }
                }
                worker.start()
            }
        }
        acceptor.start()
    }

    /// Stops accepting (threads serving open connections end when their clients close).
    func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
        unlink(path)
    }

    /// `clients` threads, each with its own connection, each doing `perClient` timed round
    /// trips after `warmUp` untimed ones, all starting together.
    /// - Returns: every round trip in one histogram, and the wall time of the timed part.
    func run(clients: Int, perClient: Int, warmUp: Int) throws -> (LatencyHistogram, Double) {
        let merged = Mutex(LatencyHistogram())
        let failure = Mutex<String?>(nil)
        let ready = DispatchGroup()
        let done = DispatchGroup()
        let start = DispatchSemaphore(value: 0)
        let (path, requestBytes, responseBytes) = (self.path, self.requestBytes, self.responseBytes)
        for _ in 0..<clients {
            ready.enter()
            done.enter()
            let thread = Thread {
                defer { done.leave() }
                let fd: Int32
                do { fd = try RawSocket.connect(path) } catch {
                    failure.withLock { $0 = "\(error)" }
                    ready.leave()
                    return
                }
                defer { close(fd) }
                let request = UnsafeMutableRawBufferPointer.allocate(byteCount: requestBytes, alignment: 16)
                let response = UnsafeMutableRawBufferPointer.allocate(byteCount: responseBytes, alignment: 16)
                defer { request.deallocate(); response.deallocate() }
                request.initializeMemory(as: UInt8.self, repeating: 0x62)
                let roundTrip = { () -> Bool in
                    RawSocket.sendAll(fd, UnsafeRawBufferPointer(request)) && RawSocket.receiveExactly(fd, response)
                }
                for _ in 0..<warmUp where !roundTrip() {
                    failure.withLock { $0 = "floor: connection lost during warm-up" }
                }
                ready.leave()
                start.wait()
                var histogram = LatencyHistogram()
                for _ in 0..<perClient {
                    let t0 = monotonicNanos()
                    guard roundTrip() else {
                        failure.withLock { $0 = "floor: connection lost" }
                        break
                    }
                    histogram.record(nanoseconds: monotonicNanos() - t0)
                }
                merged.withLock { $0.add(histogram) }
            }
            thread.start()
        }
        ready.wait()
        let t0 = monotonicNanos()
        for _ in 0..<clients { start.signal() }
        done.wait()
        let seconds = Double(monotonicNanos() - t0) / 1e9
        if let message = failure.withLock({ $0 }) { throw RawSocket.Failure(message, EPIPE) }
        return (merged.withLock { $0 }, seconds)
    }
}
