/// The token estimate the budget is measured in: `ceil(utf8 bytes / bytesPerToken)`.
///
/// Deliberately a model-independent estimate rather than a tokenizer: engram-prompt forwards to
/// any OpenAI-compatible model, each with its own vocabulary. For English text BPE tokenizers
/// average about four bytes per token, hence the default of 4 (`prompt.bytes_per_token`);
/// lower it to stay safely under a hard context limit, or for scripts that need more bytes per
/// token in UTF-8 (CJK is roughly 1 token per 3 bytes). O(n) in the text's UTF-8 length.
public struct TokenEstimator: Sendable, Equatable {
    public let bytesPerToken: Double

    /// - Precondition: `bytesPerToken > 0` (configuration validation enforces 0.5…64).
    public init(bytesPerToken: Double = 4) {
        precondition(bytesPerToken > 0, "bytes per token must be positive")
        self.bytesPerToken = bytesPerToken
    }

    public func estimate(_ text: String) -> Int {
        let bytes = text.utf8.count
        if bytes == 0 { return 0 }
        return Int((Double(bytes) / bytesPerToken).rounded(.up))
    }
}
