#if canImport(Glibc)
import Glibc
#endif
/// A pull reader over one JSON document, for the few hot documents that Foundation's
/// `JSONDecoder` makes slow: an entry record read on every search hit, and the client's
/// search response. Callers walk the structure they expect (``forEachMember(_:)``,
/// ``string()``, ``double()``…) and skip what they do not know (``skipValue()``).
///
/// Strict RFC 8259: no comments, no trailing commas, no leading zeros, no lone surrogates, no
/// invalid UTF-8, no raw control characters in strings. Anything else is a ``Failure``; the
/// decoders built on it then fall back to `JSONDecoder`, so a document this reader does not
/// take still decodes (or fails) exactly as it did before, with `JSONDecoder`'s message.
///
/// Why not `JSONDecoder`: through `Decodable` containers, decoding the entries of a search's
/// hits cost a large share of the search itself (see docs/performance.md#json-and-wire-codecs);
/// this reader walks the bytes once and allocates only the strings and arrays it returns.
///
/// Precondition: the buffer outlives the reader (it does not copy). Every method is O(bytes
/// it consumes); nesting is limited to ``maximumDepth``.
package struct JSONReader {
    /// Why the reader stopped; `offset` is the byte where it did.
    package struct Failure: Error, CustomStringConvertible {
        package var message: String
        package var offset: Int
        package var description: String { "\(message) at byte \(offset)" }
    }

    /// Deepest nesting accepted (`JSONDecoder` accepts 512).
    package static let maximumDepth = 512

    package let bytes: UnsafeRawBufferPointer
    package private(set) var position = 0

    package init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    package func failure(_ message: String) -> Failure {
        Failure(message: message, offset: position)
    }

    // MARK: structure

    package mutating func skipWhitespace() {
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x09, 0x0A, 0x0D: position += 1
            default: return
            }
        }
    }

    /// The next byte after whitespace, without consuming it; `nil` at the end.
    package mutating func peek() -> UInt8? {
        skipWhitespace()
        return position < bytes.count ? bytes[position] : nil
    }

    /// Consumes `byte` (after whitespace) when it is next.
    package mutating func consume(_ byte: UInt8) -> Bool {
        guard peek() == byte else { return false }
        position += 1
        return true
    }

    package mutating func expect(_ byte: UInt8) throws(Failure) {
        guard consume(byte) else { throw failure("expected '\(Character(Unicode.Scalar(byte)))'") }
    }

    /// Moves to `offset`, for a caller that parsed the bytes up to there itself (the
    /// server's float-array parser). Precondition: `position <= offset <= bytes.count`.
    package mutating func skip(to offset: Int) {
        precondition(offset >= position && offset <= bytes.count, "skip(to:) outside the unread bytes")
        position = offset
    }

    /// Requires that only whitespace is left.
    package mutating func expectEnd() throws(Failure) {
        guard peek() == nil else { throw failure("unexpected bytes after the document") }
    }

    /// Calls `body` with each key of the object that starts here, positioned at the key's
    /// value, which `body` must consume (read or ``skipValue()``). Duplicate keys are passed as
    /// they come. Keys are ``JSONKey``s: compared with `switch`/`==` against literals without
    /// making a `String` (a plain key is only a view of the document's bytes).
    package mutating func forEachMember(_ body: (inout JSONReader, JSONKey) throws(Failure) -> Void) throws(Failure) {
        try expect(UInt8(ascii: "{"))
        if consume(UInt8(ascii: "}")) { return }
        while true {
            guard peek() == UInt8(ascii: "\"") else { throw failure("expected a key") }
            let key: JSONKey
            switch try stringSpan() {
            case .plain(let raw, let ascii):
                if ascii {
                    key = JSONKey(bytes: raw, text: nil)
                } else {
                    guard let text = String(validating: raw, as: UTF8.self) else {
                        throw Failure(message: "invalid UTF-8 in a key", offset: offset(of: raw))
                    }
                    key = JSONKey(bytes: nil, text: text)
                }
            case .escaped(let raw):
                key = JSONKey(bytes: nil, text: try unescape(raw))
            }
            try expect(UInt8(ascii: ":"))
            try body(&self, key)
            if consume(UInt8(ascii: ",")) { continue }
            try expect(UInt8(ascii: "}"))
            return
        }
    }

    /// Calls `body` with the reader positioned at each element of the array that starts here.
    package mutating func forEachElement(_ body: (inout JSONReader) throws(Failure) -> Void) throws(Failure) {
        try expect(UInt8(ascii: "["))
        if consume(UInt8(ascii: "]")) { return }
        while true {
            try body(&self)
            if consume(UInt8(ascii: ",")) { continue }
            try expect(UInt8(ascii: "]"))
            return
        }
    }

    /// Consumes `null` when it is next.
    package mutating func consumeNull() -> Bool {
        guard peek() == UInt8(ascii: "n"), literal("null") else { return false }
        return true
    }

    // MARK: scalars

    package mutating func bool() throws(Failure) -> Bool {
        switch peek() {
        case UInt8(ascii: "t") where literal("true"): return true
        case UInt8(ascii: "f") where literal("false"): return false
        default: throw failure("expected true or false")
        }
    }

    /// A non-negative integer written without fraction or exponent (what `JSONEncoder` writes
    /// for `UInt64`).
    package mutating func uint64() throws(Failure) -> UInt64 {
        let (start, end, isInteger) = try numberSpan()
        guard isInteger, bytes[start] != UInt8(ascii: "-") else { throw failure("expected a non-negative integer") }
        var value: UInt64 = 0
        for index in start..<end {
            let (times10, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(UInt64(bytes[index] &- UInt8(ascii: "0")))
            guard !overflow1, !overflow2 else { throw failure("integer out of range") }
            value = sum
        }
        return value
    }

    /// An integer written without fraction or exponent, exactly (what `JSONEncoder` writes for
    /// `Int64`); out of `Int64`'s range is a failure.
    package mutating func int64() throws(Failure) -> Int64 {
        let (start, end, isInteger) = try numberSpan()
        guard isInteger else { throw failure("expected an integer") }
        let negative = bytes[start] == UInt8(ascii: "-")
        var magnitude: UInt64 = 0
        for index in (negative ? start + 1 : start)..<end {
            let (times10, overflow1) = magnitude.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(UInt64(bytes[index] &- UInt8(ascii: "0")))
            guard !overflow1, !overflow2 else { throw failure("integer out of range") }
            magnitude = sum
        }
        if negative {
            guard magnitude <= UInt64(Int64.max) + 1 else { throw failure("integer out of range") }
            return magnitude == UInt64(Int64.max) + 1 ? .min : -Int64(magnitude)
        }
        guard let value = Int64(exactly: magnitude) else { throw failure("integer out of range") }
        return value
    }

    /// A number, correctly rounded to the nearest `Double` (the standard library's parser, as
    /// `JSONDecoder`).
    package mutating func double() throws(Failure) -> Double {
        let (start, end, _) = try numberSpan()
        guard let value = Double(Substring(decoding(start, end))), value.isFinite else {
            throw failure("number out of range")
        }
        return value
    }

    /// A number, correctly rounded to the nearest `Float` from its text (not through `Double`,
    /// which could round twice).
    package mutating func float() throws(Failure) -> Float {
        let (start, end, _) = try numberSpan()
        guard let value = Float(Substring(decoding(start, end))), value.isFinite else {
            throw failure("number out of range")
        }
        return value
    }

    /// A string, unescaped; invalid UTF-8 and lone surrogates are failures.
    package mutating func string() throws(Failure) -> String {
        switch try stringSpan() {
        case .plain(let raw, let ascii):
            // ASCII needs no validation; anything else is checked as it is copied.
            if ascii { return String(decoding: raw, as: UTF8.self) }
            guard let text = String(validating: raw, as: UTF8.self) else {
                throw Failure(message: "invalid UTF-8 in a string", offset: offset(of: raw))
            }
            return text
        case .escaped(let raw):
            return try unescape(raw)
        }
    }

    /// The bytes of a string without escapes, borrowed from the document (not checked for
    /// UTF-8: callers that make text of them must); `nil`, with nothing consumed, for a string
    /// with escapes. Lets a caller parse a date or a token without making a `String`.
    package mutating func plainStringBytes() throws(Failure) -> UnsafeRawBufferPointer? {
        let start = position
        switch try stringSpan() {
        case .plain(let raw, _): return raw
        case .escaped:
            position = start
            return nil
        }
    }

    private enum StringSpan {
        case plain(UnsafeRawBufferPointer, ascii: Bool)
        case escaped(UnsafeRawBufferPointer)
    }

    /// Consumes a string and returns its raw content (between the quotes).
    private mutating func stringSpan() throws(Failure) -> StringSpan {
        guard peek() == UInt8(ascii: "\""), let base = bytes.baseAddress else { throw failure("expected a string") }
        // The scan uses locals rather than `position` and `bytes` (stored properties of an
        // `inout` struct), which kept the loop from staying in registers: it was a third of
        // the time spent reading a search response.
        let start = position + 1
        let end = bytes.count
        var index = start
        var escaped = false
        var high: UInt8 = 0
        while true {
            // Eight bytes at a time while they are plain ASCII: no '"', no '\\', no control
            // character, no byte ≥ 0x80 (the "has a byte less than n" bit tricks; a block
            // they flag is read byte by byte below, so a false alarm only costs time).
            while index &+ 8 <= end {
                let word = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: index, as: UInt64.self))
                let ones: UInt64 = 0x0101_0101_0101_0101
                let quote = word ^ (ones &* 0x22), backslash = word ^ (ones &* 0x5C)
                let flagged = ((quote &- ones) & ~quote) | ((backslash &- ones) & ~backslash)
                    | ((word &- ones &* 0x20) & ~word) | word
                if flagged & (ones &* 0x80) != 0 { break }
                index &+= 8
            }
            guard index < end else { break }
            let byte = base.load(fromByteOffset: index, as: UInt8.self)
            if byte == UInt8(ascii: "\"") {
                position = index + 1
                let raw = UnsafeRawBufferPointer(start: base + start, count: index - start)
                return escaped ? .escaped(raw) : .plain(raw, ascii: high < 0x80)
            }
            if byte < 0x20 {
                position = index
                throw failure("control character in a string")
            }
            high |= byte
            if byte == UInt8(ascii: "\\") {
                escaped = true
                index += 1
            }
            index += 1
        }
        position = end
        throw failure("unterminated string")
    }

    // MARK: values

    /// Any value, as ``JSONValue`` (numbers as `Double`, like `JSONValue`'s `Decodable`). A key
    /// given twice in an object is a failure (`JSONDecoder`'s choice between the two is left
    /// to `JSONDecoder`: callers fall back to it).
    package mutating func value(depth: Int = 0) throws(Failure) -> JSONValue {
        guard depth < Self.maximumDepth else { throw failure("nested too deeply") }
        switch peek() {
        case UInt8(ascii: "{"):
            var object: [String: JSONValue] = [:]
            try forEachMember { (reader, key) throws(Failure) in
                let name = key.text
                guard object[name] == nil else { throw reader.failure("key \"\(name)\" given twice") }
                object[name] = try reader.value(depth: depth + 1)
            }
            return .object(object)
        case UInt8(ascii: "["):
            var array: [JSONValue] = []
            try forEachElement { (reader) throws(Failure) in array.append(try reader.value(depth: depth + 1)) }
            return .array(array)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"), UInt8(ascii: "f"): return .bool(try bool())
        case UInt8(ascii: "n"):
            guard consumeNull() else { throw failure("expected null") }
            return .null
        default: return .number(try double())
        }
    }

    /// Consumes one value of any kind, checking it as strictly as the readers above.
    ///
    /// Iterative, with an explicit stack of open containers rather than recursion: it runs on
    /// request bodies (``VectorBodySplitter`` skips every member but the vector), so nesting
    /// up to ``maximumDepth`` must not depend on the thread's stack size. O(bytes).
    package mutating func skipValue() throws(Failure) {
        var inObject: [Bool] = []  // the open containers, innermost last: object or array
        while true {
            // One value; a container that opens here is entered and its first value is next.
            var opened = false
            switch peek() {
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                let isObject = bytes[position] == UInt8(ascii: "{")
                position += 1
                if consume(isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) { break }
                guard inObject.count + 1 < Self.maximumDepth else { throw failure("nested too deeply") }
                inObject.append(isObject)
                if isObject { try skipKey() }
                opened = true
            case UInt8(ascii: "\""): _ = try string()
            case UInt8(ascii: "t"), UInt8(ascii: "f"): _ = try bool()
            case UInt8(ascii: "n"):
                guard consumeNull() else { throw failure("expected null") }
            default: _ = try numberSpan()
            }
            if opened { continue }
            // The value is complete: close the containers it completes, up to a ',' that
            // announces the next value.
            while true {
                guard let object = inObject.last else { return }
                if consume(UInt8(ascii: ",")) {
                    if object { try skipKey() }
                    break
                }
                try expect(object ? UInt8(ascii: "}") : UInt8(ascii: "]"))
                inObject.removeLast()
            }
        }
    }

    /// A member's key and its ':'.
    private mutating func skipKey() throws(Failure) {
        guard peek() == UInt8(ascii: "\"") else { throw failure("expected a key") }
        _ = try string()
        try expect(UInt8(ascii: ":"))
    }

    // MARK: helpers

    private mutating func literal(_ word: StaticString) -> Bool {
        let count = word.utf8CodeUnitCount
        guard position + count <= bytes.count else { return false }
        let matches = word.withUTF8Buffer { expected in
            (0..<count).allSatisfy { bytes[position + $0] == expected[$0] }
        }
        if matches { position += count }
        return matches
    }

    private func decoding(_ start: Int, _ end: Int) -> String {
        String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
    }

    /// Consumes a number per RFC 8259's grammar; returns its bytes and whether it has neither
    /// fraction nor exponent.
    private mutating func numberSpan() throws(Failure) -> (start: Int, end: Int, isInteger: Bool) {
        skipWhitespace()
        let start = position
        func digits(_ reader: inout JSONReader) -> Int {
            let first = reader.position
            while reader.position < reader.bytes.count,
                  (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(reader.bytes[reader.position]) {
                reader.position += 1
            }
            return reader.position - first
        }
        if position < bytes.count, bytes[position] == UInt8(ascii: "-") { position += 1 }
        let integerStart = position
        let integerDigits = digits(&self)
        guard integerDigits > 0 else { throw failure("expected a value") }
        if integerDigits > 1, bytes[integerStart] == UInt8(ascii: "0") { throw failure("leading zero in a number") }
        var isInteger = true
        if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
            position += 1
            isInteger = false
            guard digits(&self) > 0 else { throw failure("expected digits after '.'") }
        }
        if position < bytes.count, bytes[position] | 0x20 == UInt8(ascii: "e") {
            position += 1
            isInteger = false
            if position < bytes.count, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-") {
                position += 1
            }
            guard digits(&self) > 0 else { throw failure("expected digits in the exponent") }
        }
        return (start, position, isInteger)
    }

    /// A string with escapes: rare in our documents, handled simply.
    /// Where `raw`, a span of this document, starts: string errors point into the string.
    private func offset(of raw: UnsafeRawBufferPointer) -> Int {
        guard let start = raw.baseAddress, let base = bytes.baseAddress else { return position }
        return start - base
    }

    private func unescape(_ raw: UnsafeRawBufferPointer) throws(Failure) -> String {
        let offset = offset(of: raw)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(raw.count)
        var index = 0
        var pendingHigh: UInt32?
        func fail(_ message: String) -> Failure { Failure(message: message, offset: offset + index) }
        while index < raw.count {
            let byte = raw[index]
            guard byte == UInt8(ascii: "\\") else {
                guard pendingHigh == nil else { throw fail("lone surrogate escape") }
                bytes.append(byte)
                index += 1
                continue
            }
            guard index + 1 < raw.count else { throw fail("bad escape") }
            let code = raw[index + 1]
            index += 2
            let simple: UInt8? = switch code {
            case UInt8(ascii: "\""): UInt8(ascii: "\"")
            case UInt8(ascii: "\\"): UInt8(ascii: "\\")
            case UInt8(ascii: "/"): UInt8(ascii: "/")
            case UInt8(ascii: "b"): 0x08
            case UInt8(ascii: "f"): 0x0C
            case UInt8(ascii: "n"): 0x0A
            case UInt8(ascii: "r"): 0x0D
            case UInt8(ascii: "t"): 0x09
            default: nil
            }
            if let simple {
                guard pendingHigh == nil else { throw fail("lone surrogate escape") }
                bytes.append(simple)
                continue
            }
            guard code == UInt8(ascii: "u"), index + 4 <= raw.count else { throw fail("bad escape") }
            var value: UInt32 = 0
            for hex in raw[index..<index + 4] {
                let digit: UInt8
                switch hex {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = hex - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = hex - UInt8(ascii: "a") + 10
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = hex - UInt8(ascii: "A") + 10
                default: throw fail("bad \\u escape")
                }
                value = value << 4 | UInt32(digit)
            }
            index += 4
            let scalar: Unicode.Scalar?
            if let high = pendingHigh {
                pendingHigh = nil
                guard (0xDC00...0xDFFF).contains(value) else { throw fail("lone surrogate escape") }
                scalar = Unicode.Scalar(0x10000 + ((high - 0xD800) << 10) + (value - 0xDC00))
            } else if (0xD800...0xDBFF).contains(value) {
                pendingHigh = value
                continue
            } else {
                scalar = Unicode.Scalar(value)  // nil for a lone low surrogate
            }
            guard let scalar else { throw fail("lone surrogate escape") }
            bytes.append(contentsOf: UTF8.encode(scalar)!)
        }
        guard pendingHigh == nil else { throw fail("lone surrogate escape") }
        guard let text = String(validating: bytes, as: UTF8.self) else { throw fail("invalid UTF-8 in a string") }
        return text
    }
}

/// An object's key as ``JSONReader/forEachMember(_:)`` passes it: the document's bytes for a
/// plain ASCII key (valid only during the call), or the decoded text for any other. `switch`
/// and `==` against string literals compare bytes; ``text`` makes a `String` when one is needed.
package struct JSONKey {
    fileprivate let bytes: UnsafeRawBufferPointer?
    fileprivate let textValue: String?

    fileprivate init(bytes: UnsafeRawBufferPointer?, text: String?) {
        self.bytes = bytes
        self.textValue = text
    }

    /// The key as a `String`.
    package var text: String {
        if let textValue { return textValue }
        return String(decoding: bytes!, as: UTF8.self)
    }

    package static func == (key: JSONKey, literal: StaticString) -> Bool {
        guard let bytes = key.bytes else {
            return literal.withUTF8Buffer { key.textValue!.utf8.elementsEqual($0) }
        }
        guard bytes.count == literal.utf8CodeUnitCount else { return false }
        // The first byte settles most mismatches of a `switch` over keys without a call.
        return bytes.count == 0
            || bytes[0] == literal.utf8Start.pointee && memcmp(bytes.baseAddress!, literal.utf8Start, bytes.count) == 0
    }

    /// Lets `switch key { case "id": … }` compare bytes.
    package static func ~= (literal: StaticString, key: JSONKey) -> Bool { key == literal }
}
