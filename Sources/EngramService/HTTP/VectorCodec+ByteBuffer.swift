import Hummingbird
import EngramAPI

extension VectorCodec {
    /// ``decodeJSONArray(_:expectedDimension:maxDimension:)`` for a NIO buffer.
    public static func decodeJSONArray(
        _ buffer: ByteBuffer,
        expectedDimension: Int? = nil,
        maxDimension: Int = defaultMaxDimension
    ) throws(VectorCodecError) -> [Float] {
        try typed {
            try buffer.withUnsafeReadableBytes { raw in
                try decodeJSONArray(raw, expectedDimension: expectedDimension, maxDimension: maxDimension)
            }
        }
    }
}
