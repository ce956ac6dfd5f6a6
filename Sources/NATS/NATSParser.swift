import NIOCore

/// One operation the server sends.
enum ServerOperation: Equatable, Sendable {
    /// `INFO {json}`: the server's description (its JSON bytes).
    case info([UInt8])
    /// `MSG`/`HMSG`: a message for subscription `sid`.
    case message(sid: UInt64, NATSMessage)
    case ping
    case pong
    case ok
    /// `-ERR 'text'`.
    case error(String)
}

/// Reads server operations out of a byte stream, however the stream is cut into reads.
///
/// Everything the server sends is checked before use: a control line longer than
/// ``maxControlLine``, a size beyond ``maxPayload`` or malformed, or a frame not ended by CRLF
/// is a ``NATSError/protocolViolation(_:)`` (the connection is then closed), never a crash or
/// an allocation the server chose. O(bytes) per operation.
struct NATSParser {
    /// The longest control line accepted (the protocol's default `max_control_line`).
    static let maxControlLine = 4096
    /// The largest message accepted (`max_payload` of the server's INFO, capped at 64 MiB).
    var maxPayload = 64 << 20

    /// The next complete operation in `buffer`, consuming it, or nil when more bytes are needed.
    mutating func next(from buffer: inout ByteBuffer) throws(NATSError) -> ServerOperation? {
        let view = buffer.readableBytesView
        guard let lineEnd = Self.crlf(in: view, limit: Self.maxControlLine) else {
            if view.count > Self.maxControlLine + 1 { throw .protocolViolation("control line longer than \(Self.maxControlLine) bytes") }
            return nil
        }
        let line = view[view.startIndex ..< lineEnd]
        let lineLength = line.count + 2
        let words = line.split(whereSeparator: { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") })
        guard let verb = words.first.map({ String(decoding: $0, as: UTF8.self).uppercased() }) else {
            throw .protocolViolation("empty control line")
        }
        switch verb {
        case "PING": buffer.moveReaderIndex(forwardBy: lineLength); return .ping
        case "PONG": buffer.moveReaderIndex(forwardBy: lineLength); return .pong
        case "+OK": buffer.moveReaderIndex(forwardBy: lineLength); return .ok
        case "-ERR":
            let text = String(decoding: line.dropFirst(4), as: UTF8.self).trimmingSpacesAndQuotes
            buffer.moveReaderIndex(forwardBy: lineLength)
            return .error(text)
        case "INFO":
            let json = Array(line.dropFirst(4).drop { $0 == UInt8(ascii: " ") })
            buffer.moveReaderIndex(forwardBy: lineLength)
            return .info(json)
        case "MSG", "HMSG":
            let headered = verb == "HMSG"
            let arguments = words.dropFirst().map { String(decoding: $0, as: UTF8.self) }
            let sizes = headered ? 2 : 1
            guard arguments.count == 2 + sizes || arguments.count == 3 + sizes else {
                throw .protocolViolation("\(verb) with \(arguments.count) arguments")
            }
            guard let sid = UInt64(arguments[1]) else { throw .protocolViolation("\(verb) subscription id \(arguments[1].prefix(20))") }
            let replyTo = arguments.count == 3 + sizes ? arguments[2] : nil
            let total = try size(arguments[arguments.count - 1])
            let headerLength = headered ? try size(arguments[arguments.count - 2]) : 0
            guard headerLength <= total else { throw .protocolViolation("header size \(headerLength) beyond total \(total)") }
            guard view.count >= lineLength + total + 2 else { return nil }
            let body = view.index(view.startIndex, offsetBy: lineLength)
            let end = view.index(body, offsetBy: total)
            guard view[end] == UInt8(ascii: "\r"), view[view.index(after: end)] == UInt8(ascii: "\n") else {
                throw .protocolViolation("\(verb) payload not followed by CRLF")
            }
            let headerEnd = view.index(body, offsetBy: headerLength)
            let headers = headered ? try NATSHeaders(parsing: ArraySlice(view[body ..< headerEnd])) : NATSHeaders()
            let message = NATSMessage(subject: arguments[0], replyTo: replyTo, headers: headers,
                                      payload: Array(view[headerEnd ..< end]))
            buffer.moveReaderIndex(forwardBy: lineLength + total + 2)
            return .message(sid: sid, message)
        default:
            throw .protocolViolation("unknown operation \(verb.prefix(20))")
        }
    }

    /// A byte count from the server: digits only, at most ``maxPayload``.
    private func size(_ text: String) throws(NATSError) -> Int {
        guard !text.isEmpty, text.count <= 12, text.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), let value = Int(text),
              value <= maxPayload else {
            throw .protocolViolation("message size \(text.prefix(20)) (limit \(maxPayload))")
        }
        return value
    }

    /// The index of the CR of the first CRLF within `limit + 2` bytes.
    private static func crlf(in view: ByteBufferView, limit: Int) -> ByteBufferView.Index? {
        var index = view.startIndex
        let end = view.index(view.startIndex, offsetBy: min(view.count, limit + 2))
        while index < end {
            if view[index] == UInt8(ascii: "\r") {
                let next = view.index(after: index)
                if next < view.endIndex && view[next] == UInt8(ascii: "\n") { return index }
            }
            index = view.index(after: index)
        }
        return nil
    }
}

extension String {
    /// Without surrounding spaces and single quotes (`-ERR 'Unknown Protocol Operation'`).
    var trimmingSpacesAndQuotes: String {
        var scalars = Substring(self)
        while let first = scalars.first, first == " " || first == "'" { scalars.removeFirst() }
        while let last = scalars.last, last == " " || last == "'" { scalars.removeLast() }
        return String(scalars)
    }
}

/// The parser as a NIO decoder for the connection's pipeline.
struct NATSFrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = ServerOperation
    var parser = NATSParser()

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let operation = try parser.next(from: &buffer) else { return .needMoreData }
        context.fireChannelRead(Self.wrapInboundOut(operation))
        return .continue
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        while try decode(context: context, buffer: &buffer) == .continue {}
        return .needMoreData
    }
}
