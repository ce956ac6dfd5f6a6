import Foundation
@testable import MemoryStore
import Testing
import EngramJSON

/// ``JSONReader`` and the entry reader built on it must give what `JSONDecoder` gives for
/// every document they take, and refuse what RFC 8259 refuses.
@Suite("JSON reader")
struct JSONReaderTests {
    static func read<T>(_ text: String, _ body: (inout JSONReader) throws(JSONReader.Failure) -> T) -> T? {
        Array(text.utf8).withUnsafeBytes { raw -> T? in
            var reader = JSONReader(raw)
            do throws(JSONReader.Failure) {
                let value = try body(&reader)
                try reader.expectEnd()
                return value
            } catch {
                return nil
            }
        }
    }

    static func readBytes<T>(_ bytes: [UInt8], _ body: (inout JSONReader) throws(JSONReader.Failure) -> T) -> T? {
        bytes.withUnsafeBytes { raw -> T? in
            var reader = JSONReader(raw)
            return try? body(&reader)
        }
    }

    @Test("signed integers exactly, as JSONDecoder reads Int64; out of range or not integers refused")
    func signedIntegers() throws {
        for document in ["0", "-0", "7", "-4", "9007199254740993", "-9007199254740993", "9223372036854775807",
                         "-9223372036854775808"] {
            let expected = try JSONDecoder().decode(Int64.self, from: Data(document.utf8))
            #expect(Self.read(document) { (reader) throws(JSONReader.Failure) in try reader.int64() } == expected, "\(document)")
        }
        for bad in ["9223372036854775808", "-9223372036854775809", "1.5", "1e3", "-", "01", "\"1\"", "18446744073709551616"] {
            #expect(Self.read(bad) { (reader) throws(JSONReader.Failure) in try reader.int64() } == nil, "\(bad)")
        }
    }

    @Test("strings: escapes, surrogate pairs and UTF-8 as JSONDecoder reads them")
    func strings() throws {
        let documents = [
            #""""#, #""plain""#, #""q \" b \\ s \/ \b\f\n\r\t""#, #""\u0041\u00e9\u4e2d""#, #""\ud83c\udf89 party""#,
            "\"é 中文 🎉 e\u{301}\"", #""\u0000 nul""#,
        ]
        for document in documents {
            let expected = try JSONDecoder().decode(String.self, from: Data(document.utf8))
            #expect(Self.read(document) { (reader) throws(JSONReader.Failure) in try reader.string() } == expected)
        }
        for bad in [#""\ud83c""#, #""\udf89""#, #""\ud83c\u0041""#, #""\x""#, #""\u12""#, #""unterminated"#, "\"tab\there\""] {
            #expect(Self.read(bad) { (reader) throws(JSONReader.Failure) in try reader.string() } == nil, "\(bad)")
        }
        // A failure inside a string points into it, whitespace before the string included.
        let offset = ([0x20, 0x20, 0x20, 0x22, 0x61, 0x80, 0x22] as [UInt8]).withUnsafeBytes { raw -> Int? in
            var reader = JSONReader(raw)
            do throws(JSONReader.Failure) { _ = try reader.string(); return nil } catch { return error.offset }
        }
        #expect(offset == 4)
        // Invalid UTF-8: a lone continuation byte and a truncated sequence.
        for bytes: [UInt8] in [[0x22, 0x80, 0x22], [0x22, 0xE4, 0xB8, 0x22]] {
            #expect(Self.readBytes(bytes) { (reader) throws(JSONReader.Failure) in try reader.string() } == nil)
        }
    }

    @Test("strings: a special byte at every position of strings of 0–33 bytes (the 8-byte scan's blocks)")
    func stringScanBlocks() throws {
        // Escapes, non-ASCII and raw bytes that the scan must stop at, placed at every offset.
        let specials: [(json: [UInt8], valid: Bool)] = [
            (Array(#"\""#.utf8), true), (Array(#"\\"#.utf8), true), (Array(#"\n"#.utf8), true), (Array("é".utf8), true),
            (Array("🎉".utf8), true), (Array(#"\u00e9"#.utf8), true), ([0x01], false), ([0x1F], false), ([0xFF], false),
            ([UInt8(ascii: "\"")], true),  // ends the string early: the rest must then fail as trailing bytes
        ]
        for length in 0...33 {
            for offset in 0...length {
                for special in specials {
                    let body = Array(repeating: UInt8(ascii: "a"), count: offset) + special.json
                        + Array(repeating: UInt8(ascii: "b"), count: length - offset)
                    let document = [UInt8(ascii: "\"")] + body + [UInt8(ascii: "\"")]
                    let fast = Self.readBytes(document) { (reader) throws(JSONReader.Failure) -> String in
                        let text = try reader.string()
                        try reader.expectEnd()
                        return text
                    }
                    let reference = try? JSONDecoder().decode(String.self, from: Data(document))
                    #expect(fast == reference, "length \(length), offset \(offset), \(special.json)")
                    if special.valid && special.json != [UInt8(ascii: "\"")] { #expect(fast != nil) }
                }
            }
        }
    }

    @Test("numbers: the grammar, correct rounding, integer limits")
    func numbers() {
        for text in ["0", "-0", "1", "-12.5e-3", "1E+2", "0.1", "3.4028235e38", "2.2250738585072014e-308", "1e-400",
                     "0.30000000000000004", "123456789012345678901234567890"] {
            #expect(Self.read(text) { (reader) throws(JSONReader.Failure) in try reader.double() } == Double(text), "\(text)")
            #expect(Self.read(text) { (reader) throws(JSONReader.Failure) in try reader.float() }?.bitPattern
                    == Float(text)?.bitPattern, "\(text)")
        }
        for bad in ["01", "1.", ".5", "-", "1e", "+1", "1e+", "--1", "0x10", "NaN", "Infinity", "1e999"] {
            #expect(Self.read(bad) { (reader) throws(JSONReader.Failure) in try reader.double() } == nil, "\(bad)")
        }
        #expect(Self.read("18446744073709551615") { (reader) throws(JSONReader.Failure) in try reader.uint64() } == UInt64.max)
        for bad in ["18446744073709551616", "-1", "1.0", "1e2", "01"] {
            #expect(Self.read(bad) { (reader) throws(JSONReader.Failure) in try reader.uint64() } == nil, "\(bad)")
        }
    }

    @Test("values: literals, nesting limit, duplicate keys, trailing bytes")
    func values() throws {
        let document = #" {"a": [1, true, false, null, "x", {"b": {}}, []], "c": -2.5} "#
        let value = Self.read(document) { (reader) throws(JSONReader.Failure) in try reader.value() }
        let expected = try JSONDecoder().decode(JSONValue.self, from: Data(document.utf8))
        #expect(value == expected)
        let nested511 = String(repeating: "[", count: 511) + String(repeating: "]", count: 511)
        #expect(Self.read(nested511) { (reader) throws(JSONReader.Failure) in try reader.value() } != nil)
        let nested513 = String(repeating: "[", count: 513) + String(repeating: "]", count: 513)
        #expect(Self.read(nested513) { (reader) throws(JSONReader.Failure) in try reader.value() } == nil)
        #expect(Self.read(nested513) { (reader) throws(JSONReader.Failure) in try reader.skipValue() } == nil)
        for bad in [#"{"a":1,"a":2}"#, "[1,]", "{\"a\":1,}", "[1 2]", "{\"a\" 1}", "tru", "nul", "[1] x", "{'a':1}", ""] {
            #expect(Self.read(bad) { (reader) throws(JSONReader.Failure) in try reader.value() } == nil, "\(bad)")
        }
    }

    @Test("skipping 511 levels of nesting needs no stack to speak of (it runs on request bodies)")
    func skipIsIterative() async {
        let skipped: Bool = await withCheckedContinuation { continuation in
            let thread = Thread {
                let document = String(repeating: #"{"a":["#, count: 255) + "1" + String(repeating: "]}", count: 255)
                continuation.resume(returning: Self.read(document) { (reader) throws(JSONReader.Failure) in try reader.skipValue() } != nil)
            }
            thread.stackSize = 256 * 1024  // recursion through the member closures needs megabytes here
            thread.start()
        }
        #expect(skipped)
    }

    // MARK: entries

    /// Random entries covering every field, optional dates set and unset, tricky text and
    /// nested metadata (a failure prints the record, so it can be reproduced).
    static func randomEntries(count: Int) -> [MemoryEntry] {
        var random = SystemRandomNumberGenerator()
        let texts = ["", "plain", "quote \" backslash \\ slash /", "\u{0}\u{1}\u{1F}\u{7F}\r\n\t", "é 中文 🎉 e\u{301} \u{2028}",
                     String(repeating: "long ", count: 300)]
        func value(_ depth: Int) -> JSONValue {
            switch random.next() % (depth > 2 ? 4 : 6) {
            case 0: .null
            case 1: .bool(random.next() % 2 == 0)
            case 2: .number(Double(bitPattern: random.next() >> 2) * (random.next() % 2 == 0 ? 1 : -1))
            case 3: .string(texts[Int(random.next() % UInt64(texts.count))])
            case 4: .array((0..<Int(random.next() % 4)).map { _ in value(depth + 1) })
            default: .object(Dictionary(uniqueKeysWithValues: (0..<Int(random.next() % 4)).map { ("k\($0)\(texts[$0 % 3])", value(depth + 1)) }))
            }
        }
        func date() -> Date { Date(timeIntervalSinceReferenceDate: Double(Int64(random.next() % 4_000_000_000) - 1_000_000_000) + Double(random.next() % 1_000_000) / 1_000_000) }
        return (0..<count).map { index in
            var draft = MemoryDraft(text: texts[index % texts.count] + "\(index)", createdAt: date())
            draft.tags = (0..<Int(random.next() % 3)).map { texts[$0 + 1] }
            draft.metadata = Dictionary(uniqueKeysWithValues: (0..<Int(random.next() % 4)).map { ("m\($0)", value(0)) })
            draft.source = index % 2 == 0 ? "user" : "extraction:model/ü"
            draft.confidence = Double(random.next() % 1_000_001) / 1_000_000
            draft.evidence = Evidence(support: random.next(), contradictions: random.next() % 5, useful: random.next() % 9,
                                      notUseful: UInt64.max)
            draft.pinned = index % 3 == 0
            if index % 2 == 0 { draft.updatedAt = date() }
            if index % 4 != 0 { draft.lastUsedAt = date() }
            if index % 5 == 0 { draft.expiresAt = date() }
            draft.useCount = random.next()
            draft.version = random.next() % 100 + 1
            if index % 3 == 1 { draft.thread = texts[0]; draft.position = Int64(bitPattern: random.next()) }
            draft.pending = index % 7 == 0
            draft.learned = index % 2 == 1
            draft.conflictsWith = (0..<Int(random.next() % 3)).map { _ in random.next() }
            return MemoryEntry(id: random.next(), namespace: index % 2 == 0 ? "kb" : "name space/é", slot: UInt32(truncatingIfNeeded: random.next()),
                               draft: draft)
        }
    }

    @Test("entry records: the reader gives exactly JSONDecoder's entry for 500 random records")
    func entriesMatchJSONDecoder() throws {
        for entry in Self.randomEntries(count: 500) {
            let record = try RecordCodec.encode(entry)
            let json = Array(record[RecordCodec.headerSize...])
            let reference = try JSONDecoder().decode(MemoryEntry.self, from: Data(json))
            #expect(reference == entry)
            let fast = Self.readBytes(json) { (reader) throws(JSONReader.Failure) in
                try MemoryEntry(reading: &reader, date: MemoryEntry.readReferenceDate)
            }
            #expect(fast == reference, "\(String(decoding: json, as: UTF8.self))")
            #expect(try RecordCodec.decode(MemoryEntry.self, from: record, what: "entry") == reference)
        }
    }

    /// Wraps JSON text in a record envelope.
    static func record(_ json: String) -> [UInt8] {
        let bytes = Array(json.utf8)
        var out: [UInt8] = [RecordCodec.format]
        withUnsafeBytes(of: CRC32C.checksum(bytes).littleEndian) { out.append(contentsOf: $0) }
        return out + bytes
    }

    @Test("records the reader does not take decode through JSONDecoder, with the same result or error")
    func fallback() throws {
        let entry = Self.randomEntries(count: 1)[0]
        let json = String(decoding: try JSONEncoder().encode(entry), as: UTF8.self)
        // A key given twice: the reader refuses it; the answer is JSONDecoder's.
        let duplicated = "{\"text\":\"first\"," + json.dropFirst()
        #expect(Self.readBytes(Array(duplicated.utf8)) { (reader) throws(JSONReader.Failure) in
            try MemoryEntry(reading: &reader, date: MemoryEntry.readReferenceDate)
        } == nil)
        let reference = try JSONDecoder().decode(MemoryEntry.self, from: Data(duplicated.utf8))
        #expect(try RecordCodec.decode(MemoryEntry.self, from: Self.record(duplicated), what: "entry") == reference)
        // Keys are compared after unescaping, and non-ASCII keys work, as in JSONDecoder.
        let escapedKey = json.replacingOccurrences(of: "\"text\"", with: #""te\u0078t""#)
        #expect(escapedKey != json)
        #expect(try RecordCodec.decode(MemoryEntry.self, from: Self.record(escapedKey), what: "entry") == entry)
        let foreignKey = "{\"é\":1," + json.dropFirst()
        #expect(Self.readBytes(Array(foreignKey.utf8)) { (reader) throws(JSONReader.Failure) in
            try MemoryEntry(reading: &reader, date: MemoryEntry.readReferenceDate)
        } == entry)
        // Unknown keys are skipped, by both.
        let extended = "{\"future\":{\"x\":[1,2,{\"y\":null}]}," + json.dropFirst()
        #expect(try RecordCodec.decode(MemoryEntry.self, from: Self.record(extended), what: "entry") == entry)
        // A required field missing, and broken JSON: still `corrupt`, as before.
        for broken in [json.replacingOccurrences(of: "\"source\"", with: "\"sourc\""), String(json.dropLast())] {
            #expect(throws: MemoryStoreError.self) { try RecordCodec.decode(MemoryEntry.self, from: Self.record(broken), what: "entry") }
        }
    }
}
