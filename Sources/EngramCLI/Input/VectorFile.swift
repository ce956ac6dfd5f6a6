import Foundation

/// Reads a query or entry vector from a file: a JSON array of numbers (`[0.1, -0.2, …]`) or
/// raw little-endian float32 (what `numpy.ndarray.astype('<f4').tofile` writes).
///
/// `auto` picks JSON when the first non-blank byte is `[`. A raw file whose first float
/// happens to start with that byte (0x5B) is misread as JSON and rejected with a parse
/// error; `--vector-format f32` removes the ambiguity.
public enum VectorFile {
    public enum Format: String, Sendable, CaseIterable {
        case auto, json, f32
    }

    /// - Throws: ``CLIFailure`` with status `invalidInput` naming the file and the problem
    ///   (unreadable, empty, not a multiple of 4 bytes, not an array of finite numbers).
    public static func read(path: String, format: Format = .auto) throws(CLIFailure) -> [Float] {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw CLIFailure(.invalidInput, "cannot read vector file \(path): \(error.localizedDescription)")
        }
        return try parse(data, format: format, name: path)
    }

    public static func parse(_ data: Data, format: Format = .auto, name: String) throws(CLIFailure) -> [Float] {
        let firstByte = data.first { !(($0 == 0x20) || ($0 == 0x0A) || ($0 == 0x0D) || ($0 == 0x09)) }
        let useJSON = format == .json || (format == .auto && firstByte == UInt8(ascii: "["))
        let vector: [Float]
        if useJSON {
            let numbers: [Double]
            do {
                numbers = try JSONDecoder().decode([Double].self, from: data)
            } catch {
                throw CLIFailure(.invalidInput, "vector file \(name) is not a JSON array of numbers")
            }
            vector = numbers.map(Float.init)
        } else {
            guard !data.isEmpty, data.count % 4 == 0 else {
                throw CLIFailure(.invalidInput,
                                 "vector file \(name) holds \(data.count) bytes: raw float32 needs a non-zero multiple of 4")
            }
            vector = data.withUnsafeBytes { raw in
                (0..<(data.count / 4)).map { index in
                    Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: index * 4, as: UInt32.self)))
                }
            }
        }
        guard !vector.isEmpty else { throw CLIFailure(.invalidInput, "vector file \(name) holds an empty vector") }
        if let bad = vector.firstIndex(where: { !$0.isFinite }) {
            throw CLIFailure(.invalidInput, "vector file \(name): component \(bad) is not a finite float32")
        }
        return vector
    }
}
