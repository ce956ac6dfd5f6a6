extension HNSWIndex {
    /// Slots a quantized index holds before it first trains its codes: below it, traversal
    /// scores floats (and below ``HNSWParameters/flatThreshold`` a search scans anyway).
    public static let quantizerFirstTraining = 1024

    /// Growth factor between trainings: the codes are retrained on all nodes each time the graph
    /// has grown this many times since the last, so the ranges follow the data while the total
    /// cost stays O(nodes·dimension) amortised (geometric series).
    static let quantizerRetrainingGrowth = 4

    /// The integer kernel quantized traversal uses on this CPU ("avx512-vnni", "avx2",
    /// "portable").
    public static var quantizedKernelName: String { QuantizedKernel.name }

    /// Whether traversal currently scores codes (a quantized index past its first training).
    public var traversesCodes: Bool { statistics.traversesCodes }

    /// Retrains a quantized index's codes when the graph has grown enough since the last
    /// training, or when the data has moved out of the trained ranges: once an eighth of the
    /// nodes (at least 64) were inserted with codes that misrepresent them. Each training costs
    /// O(nodes·dimension) and happens after O(nodes) inserts, so it adds O(dimension) per insert
    /// amortised. Writer lock held. Training reads while searches go on; rewriting the codes
    /// takes the exclusive lock.
    func trainQuantizerIfDue() {
        guard graph.layout.codeBytes > 0 else { return }
        guard graph.count >= quantizerTrainingAt
            || graph.quantizer != nil && poorlyCodedSinceTraining >= max(64, graph.count / 8) else { return }
        retrainQuantizer()
    }

    /// Trains the codes on every node now and schedules the next training. Writer lock held.
    /// Training and encoding read while searches go on; only copying the codes in is exclusive.
    /// Without a readable ``vectorSource`` nothing changes, and the next insert tries again.
    func retrainQuantizer() {
        func train(_ floats: some FloatVectors) -> (quantizer: ScalarQuantizer, codes: [UInt8])? {
            guard let trained = graph.trainQuantizer(floats) else { return nil }
            return (trained, graph.codes(of: floats, with: trained))
        }
        let prepared: (quantizer: ScalarQuantizer, codes: [UInt8])?
        if let vectorSource {
            prepared = (try? vectorSource.withReader { (reader) throws(HNSWError) in train(writerFloats(reader)) }) ?? nil
        } else {
            prepared = train(BlockFloats())
        }
        guard let prepared else { return }
        let previous = lock.withWriteLock { graph.adoptQuantizer(prepared.quantizer, codes: prepared.codes) }
        previous?.deallocate()
        poorlyCodedSinceTraining = 0
        let (next, overflow) = graph.count.multipliedReportingOverflow(by: Self.quantizerRetrainingGrowth)
        quantizerTrainingAt = overflow ? .max : max(next, Self.quantizerFirstTraining)
    }
}
