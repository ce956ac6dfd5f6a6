/// An allocation-light parser for a JSON array of numbers into `[Float]`.
///
/// Why not `JSONDecoder`: decoding 384 floats through Foundation costs more than an HNSW search
/// (see docs/performance.md#json-and-wire-codecs). This parser makes one allocation (the
/// result), reads the bytes once, and converts each number with Clinger's fast path: a decimal
/// with at most 19 significant digits and a power of ten within ±22 becomes
/// `Double(mantissa) ×/÷ 10^k`, which is exact when the mantissa is below 2^53. The result is
/// defined as `Float(correctly rounded Double)`, the same as `Float(Double(text)!)` and as a
/// client's strtod + cast. (Linux Foundation's JSONSerialization is not correctly rounded next
/// to float rounding midpoints and can differ there by one float ulp; the tests show both
/// facts.)
/// For longer mantissas the double may be off by an ulp or two; that can only change the float
/// when the double lies next to a float rounding midpoint, so those cases (about one in 2^26),
/// out-of-range exponents, more than 19 digits and float subnormals take the slow, exact path
/// (the standard library's correctly rounded `Double(String)`).
package struct FloatArrayParser {
    @usableFromInline let bytes: UnsafeRawBufferPointer
    /// Byte offset of the next unread byte.
    public private(set) var position: Int

    public init(bytes: UnsafeRawBufferPointer, position: Int = 0) {
        self.bytes = bytes
        self.position = position
    }

    /// Parses one array starting at `position` (leading whitespace allowed) and leaves
    /// `position` just past its closing bracket.
    public mutating func parseArray(expectedDimension: Int?, maxDimension: Int) throws(VectorCodecError) -> [Float] {
        skipWhitespace()
        guard position < bytes.count else { throw fail("expected '[' but the input ended") }
        guard bytes[position] == UInt8(ascii: "[") else { throw fail("expected '['") }
        position += 1
        var result: [Float] = []
        result.reserveCapacity(min(expectedDimension ?? 16, maxDimension))
        skipWhitespace()
        if position < bytes.count, bytes[position] == UInt8(ascii: "]") {
            position += 1
            throw VectorCodecError.empty
        }
        while true {
            skipWhitespace()
            guard result.count < maxDimension else { throw VectorCodecError.tooManyComponents(limit: maxDimension) }
            let value = try parseNumber()
            guard value.isFinite else { throw VectorCodecError.nonFinite(index: result.count) }
            result.append(value)
            skipWhitespace()
            guard position < bytes.count else { throw fail("the array is not closed") }
            let byte = bytes[position]
            position += 1
            if byte == UInt8(ascii: ",") { continue }
            if byte == UInt8(ascii: "]") { break }
            position -= 1
            throw fail("expected ',' or ']'")
        }
        if let expectedDimension, result.count != expectedDimension {
            throw VectorCodecError.dimensionMismatch(expected: expectedDimension, actual: result.count)
        }
        return result
    }

    /// Requires that only whitespace remains.
    public mutating func expectEnd() throws(VectorCodecError) {
        skipWhitespace()
        if position != bytes.count { throw fail("unexpected bytes after the array") }
    }

    @inline(__always)
    mutating func skipWhitespace() {
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x09, 0x0A, 0x0D: position += 1
            default: return
            }
        }
    }

    private func fail(_ message: String) -> VectorCodecError {
        .syntax(offset: position, message: message)
    }

    /// Parses a JSON number (RFC 8259 grammar exactly: no '+', no leading zeros, no bare '.',
    /// no NaN/Infinity) and returns it as Float; ±Inf when it overflows float32.
    @inline(__always)
    mutating func parseNumber() throws(VectorCodecError) -> Float {
        let start = position
        let count = bytes.count
        var negative = false
        if position < count, bytes[position] == UInt8(ascii: "-") {
            negative = true
            position += 1
        }
        guard position < count else { throw fail("the input ended inside a number") }
        var mantissa: UInt64 = 0
        var significant = 0
        var exponent = 0
        var inexact = false  // more than 19 significant digits
        let first = bytes[position]
        if first == UInt8(ascii: "0") {
            position += 1
            if position < count, bytes[position] &- 0x30 < 10 { throw fail("leading zeros are not allowed") }
        } else if first &- 0x31 < 9 {
            while position < count {
                let digit = bytes[position] &- 0x30
                if digit >= 10 { break }
                if significant < 19 {
                    mantissa = mantissa &* 10 &+ UInt64(digit)
                    significant += 1
                } else {
                    exponent += 1
                    if digit != 0 { inexact = true }
                }
                position += 1
            }
        } else {
            switch first {
            case UInt8(ascii: "N"), UInt8(ascii: "I"), UInt8(ascii: "n"), UInt8(ascii: "i"):
                throw fail("NaN and Infinity are not allowed")
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                throw fail("nested arrays or objects are not allowed")
            default:
                throw fail("expected a number")
            }
        }
        if position < count, bytes[position] == UInt8(ascii: ".") {
            position += 1
            guard position < count, bytes[position] &- 0x30 < 10 else { throw fail("a digit must follow '.'") }
            while position < count {
                let digit = bytes[position] &- 0x30
                if digit >= 10 { break }
                if mantissa == 0 && digit == 0 {
                    exponent -= 1
                } else if significant < 19 {
                    mantissa = mantissa &* 10 &+ UInt64(digit)
                    significant += 1
                    exponent -= 1
                } else if digit != 0 {
                    inexact = true
                }
                position += 1
            }
        }
        if position < count, bytes[position] | 0x20 == UInt8(ascii: "e") {
            position += 1
            var exponentNegative = false
            if position < count, bytes[position] == UInt8(ascii: "-") || bytes[position] == UInt8(ascii: "+") {
                exponentNegative = bytes[position] == UInt8(ascii: "-")
                position += 1
            }
            guard position < count, bytes[position] &- 0x30 < 10 else { throw fail("a digit must follow the exponent marker") }
            var value = 0
            while position < count {
                let digit = bytes[position] &- 0x30
                if digit >= 10 { break }
                if value < 1_000_000 { value = value * 10 + Int(digit) }
                position += 1
            }
            exponent += exponentNegative ? -value : value
        }

        if mantissa == 0 { return negative ? -0.0 : 0.0 }
        if !inexact, exponent >= -22, exponent <= 22 {
            let scale = Self.powersOfTen[exponent < 0 ? -exponent : exponent]
            let d = Double(mantissa)
            let value = exponent < 0 ? d / scale : d * scale
            let magnitude = value
            if mantissa <= 1 << 53 {
                // Exact operands, one rounding: the correctly rounded double.
                let f = Float(magnitude)
                return negative ? -f : f
            }
            // Up to ~2.5 ulps from the correctly rounded double: safe unless next to a float midpoint.
            if magnitude >= Double(Float.leastNormalMagnitude) * 2, magnitude < Double(Float.greatestFiniteMagnitude) {
                let low = Int(magnitude.bitPattern & 0x1FFF_FFFF)
                if abs(low - 0x1000_0000) > 8 {
                    let f = Float(magnitude)
                    return negative ? -f : f
                }
            }
        }
        return slowPath(start: start)
    }

    /// Exact conversion through the standard library (correctly rounded, locale-independent).
    private func slowPath(start: Int) -> Float {
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
        // The grammar was checked above, so Double(text) cannot fail; a failure would be a bug
        // and is reported as non-finite (rejected) rather than trapping.
        guard let double = Double(text) else { return .nan }
        return Float(double)
    }

    @usableFromInline static let powersOfTen: [Double] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
        1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ]
}
