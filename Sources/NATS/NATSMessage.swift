/// A message delivered to a subscription (or the reply to a request).
public struct NATSMessage: Sendable, Equatable {
    public var subject: String
    /// Where a reply goes, when the publisher asked for one.
    public var replyTo: String?
    /// The message's headers (empty when it had none).
    public var headers: NATSHeaders
    public var payload: [UInt8]

    public init(subject: String, replyTo: String? = nil, headers: NATSHeaders = NATSHeaders(), payload: [UInt8]) {
        self.subject = subject
        self.replyTo = replyTo
        self.headers = headers
        self.payload = payload
    }
}

/// A message's header block: `NATS/1.0[ status[ description]]` and then `Name: value` lines.
/// Names keep their case as sent; lookups ignore it (as HTTP's do). Order and repeats are kept.
public struct NATSHeaders: Sendable, Equatable {
    /// The status of a server-made message (503: no responders; 408: request timeout), else nil.
    public var status: Int?
    public var statusDescription: String?
    public private(set) var fields: [(name: String, value: String)] = []

    public init(_ fields: [(name: String, value: String)] = []) {
        for field in fields { append(field.name, field.value) }
    }

    public var isEmpty: Bool { fields.isEmpty && status == nil }

    /// The first value of `name`, or nil.
    public subscript(name: String) -> String? {
        let lowered = name.lowercased()
        return fields.first { $0.name.lowercased() == lowered }?.value
    }

    /// Adds a field. Names and values may not hold CR or LF (they would end the line), and a
    /// name no colon or space: such characters are dropped rather than sent.
    public mutating func append(_ name: String, _ value: String) {
        let cleanName = String(name.unicodeScalars.filter { !"\r\n: ".unicodeScalars.contains($0) }.map(Character.init))
        let cleanValue = String(value.unicodeScalars.filter { $0 != "\r" && $0 != "\n" }.map(Character.init))
        fields.append((cleanName, cleanValue))
    }

    public static func == (a: NATSHeaders, b: NATSHeaders) -> Bool {
        a.status == b.status && a.statusDescription == b.statusDescription
            && a.fields.map(\.name) == b.fields.map(\.name) && a.fields.map(\.value) == b.fields.map(\.value)
    }

    /// The wire form, ending with the blank line.
    var encoded: [UInt8] {
        var text = "NATS/1.0\r\n"
        for field in fields { text += "\(field.name): \(field.value)\r\n" }
        text += "\r\n"
        return Array(text.utf8)
    }

    /// Parses a header block from the server. - Throws: ``NATSError/protocolViolation(_:)``.
    init(parsing bytes: ArraySlice<UInt8>) throws(NATSError) {
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw .protocolViolation("header block is not UTF-8")
        }
        var lines = text.split(separator: "\r\n", omittingEmptySubsequences: false)[...]
        guard let first = lines.popFirst(), first.hasPrefix("NATS/1.0") else {
            throw .protocolViolation("header block does not start with NATS/1.0")
        }
        let statusPart = first.dropFirst("NATS/1.0".count).drop { $0 == " " }
        if !statusPart.isEmpty {
            let code = statusPart.prefix { $0.isNumber }
            guard code.count == 3, let value = Int(code) else { throw .protocolViolation("bad header status \(first.prefix(40))") }
            status = value
            let description = statusPart.dropFirst(3).drop { $0 == " " }
            statusDescription = description.isEmpty ? nil : String(description)
        }
        for line in lines where !line.isEmpty {
            guard let colon = line.firstIndex(of: ":") else { throw .protocolViolation("header line without a colon") }
            fields.append((String(line[..<colon]), String(line[line.index(after: colon)...].drop { $0 == " " })))
        }
    }
}

/// What can go wrong talking to a NATS server.
public enum NATSError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The server sent something this client cannot read: the connection is closed.
    case protocolViolation(String)
    /// The server answered `-ERR` (its message).
    case serverError(String)
    /// No subscriber listens on a request's subject.
    case noResponders(String)
    case timeout(String)
    case connectionClosed
    /// A subject, queue group or payload the protocol cannot carry.
    case invalidArgument(String)
    /// A JetStream API error: its HTTP-like code, its JetStream error code and description.
    case jetStream(code: Int, errorCode: Int, description: String)

    public var description: String {
        switch self {
        case .protocolViolation(let detail): "NATS protocol violation: \(detail)"
        case .serverError(let detail): "NATS server error: \(detail)"
        case .noResponders(let subject): "no responders on \(subject)"
        case .timeout(let detail): "NATS timeout: \(detail)"
        case .connectionClosed: "the NATS connection is closed"
        case .invalidArgument(let detail): detail
        case .jetStream(let code, let errorCode, let description): "JetStream error \(code)/\(errorCode): \(description)"
        }
    }
}
