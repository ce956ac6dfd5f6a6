import NATS

/// A write forwarded from the node that received it to the namespace's owner, over NATS
/// request/reply: the HTTP method, target and headers travel as NATS headers, the body as
/// the payload. The receiving node answers it with its own router, as if a local client
/// had sent it (the original peer's credentials header included: cluster peers are trusted
/// to relay them).
public struct ForwardedRequest: Sendable, Equatable {
    public var method: String
    /// Path and query.
    public var target: String
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    public init(method: String, target: String, headers: [(name: String, value: String)], body: [UInt8]) {
        self.method = method
        self.target = target
        self.headers = headers
        self.body = body
    }

    public static func == (a: ForwardedRequest, b: ForwardedRequest) -> Bool {
        a.method == b.method && a.target == b.target && a.body == b.body
            && a.headers.map(\.name) == b.headers.map(\.name) && a.headers.map(\.value) == b.headers.map(\.value)
    }

    static let methodHeader = "Engram-Forward-Method"
    static let targetHeader = "Engram-Forward-Target"
    static let headerPrefix = "Engram-Forward-Header-"

    var natsHeaders: NATSHeaders {
        var headers = NATSHeaders([(Self.methodHeader, method), (Self.targetHeader, target)])
        for (name, value) in self.headers { headers.append(Self.headerPrefix + name, value) }
        return headers
    }

    /// Reads a forwarded request; `nil` when the method or target is missing or not a path.
    init?(_ message: NATSMessage) {
        guard let method = message.headers[Self.methodHeader], !method.isEmpty, method.count <= 16,
              let target = message.headers[Self.targetHeader], target.hasPrefix("/") else { return nil }
        self.method = method
        self.target = target
        headers = message.headers.fields.compactMap { field in
            guard field.name.hasPrefix(Self.headerPrefix) else { return nil }
            return (String(field.name.dropFirst(Self.headerPrefix.count)), field.value)
        }
        body = message.payload
    }
}

/// The owner's answer to a forwarded write.
public struct ForwardedResponse: Sendable {
    public var status: Int
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    public init(status: Int, headers: [(name: String, value: String)], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    static let statusHeader = "Engram-Forward-Status"

    var natsHeaders: NATSHeaders {
        var headers = NATSHeaders([(Self.statusHeader, String(status))])
        for (name, value) in self.headers { headers.append(ForwardedRequest.headerPrefix + name, value) }
        return headers
    }

    init(_ message: NATSMessage) throws {
        guard let text = message.headers[Self.statusHeader], let status = Int(text), (100...599).contains(status) else {
            throw NATSError.protocolViolation("a forwarded write's answer without a status")
        }
        self.status = status
        headers = message.headers.fields.compactMap { field in
            guard field.name.hasPrefix(ForwardedRequest.headerPrefix) else { return nil }
            return (String(field.name.dropFirst(ForwardedRequest.headerPrefix.count)), field.value)
        }
        body = message.payload
    }
}
