import Foundation
import Testing
@testable import Embeddings

@Suite("Element-wise kernels")
struct NeuralKernelTests {
    @Test func expMatchesTheLibraryWithinTwoUlps() {
        var worst: Float = 0
        var x: Float = -87
        while x <= 88 {
            let expected = Foundation.exp(Double(x))
            let relative = Float(abs(Double(NeuralKernels.exp(x)) - expected) / expected)
            worst = max(worst, relative)
            x += 0.0137
        }
        #expect(worst < 2.5e-7)
        #expect(NeuralKernels.exp(0) == 1)
        #expect(NeuralKernels.exp(-1000) >= 0 && NeuralKernels.exp(-1000) < 1e-37)
        #expect(NeuralKernels.exp(1000).isFinite)
    }

    @Test func geluMatchesTheErfDefinition() {
        let values: [Float] = stride(from: -12, through: 12, by: 0.01).map { Float($0) }
        var output = values
        let bias = [Float](repeating: 0, count: values.count)
        output.withUnsafeMutableBufferPointer { NeuralKernels.gelu($0.baseAddress!, rows: 1, width: $0.count, bias: bias) }
        for (x, y) in zip(values, output) {
            let expected = 0.5 * Double(x) * (1 + erf(Double(x) / 2.0.squareRoot()))
            #expect(abs(Double(y) - expected) <= 2e-7 * max(1, abs(Double(x))), "gelu(\(x)) = \(y), expected \(expected)")
        }
    }

    @Test func softmaxRowsSumToOneAndPreserveOrder() {
        var scores: [Float] = [1, 2, 3, 0.5, -1, 0, 0, 0, 0, 0, 9e3, -9e3, 0, 1000, 999]
        scores.withUnsafeMutableBufferPointer { NeuralKernels.softmaxRows($0.baseAddress!, rows: 3, columns: 5, stride: 5) }
        for row in 0..<3 {
            let slice = scores[(row * 5)..<(row * 5 + 5)]
            #expect(abs(slice.reduce(0, +) - 1) < 1e-6)
            #expect(slice.allSatisfy { $0.isFinite && $0 >= 0 })
        }
        #expect(scores[2] > scores[1] && scores[1] > scores[0])
        #expect(abs(scores[5] - 0.2) < 1e-7)
        #expect(scores[10] == 1)
        #expect(abs(scores[2] - Float(exp(3.0) / (exp(1.0) + exp(2.0) + exp(3.0) + exp(0.5) + exp(-1.0)))) < 1e-6)
    }

    @Test func layerNormNormalisesEachRowWithResidual() {
        let width = 16
        var x: [Float] = (0..<(2 * width)).map { Float($0 % 7) * 1.5 - 2 }
        let residual: [Float] = (0..<(2 * width)).map { Float($0) * 0.25 }
        let gamma = [Float](repeating: 2, count: width)
        let beta = [Float](repeating: 0.5, count: width)
        let summed = zip(x, residual).map { $0 + $1 }
        x.withUnsafeMutableBufferPointer { buffer in
            NeuralKernels.layerNorm(buffer.baseAddress!, adding: residual, rows: 2, width: width,
                                    gamma: gamma, beta: beta, epsilon: 1e-12)
        }
        for row in 0..<2 {
            let input = summed[(row * width)..<((row + 1) * width)].map(Double.init)
            let mean = input.reduce(0, +) / Double(width)
            let variance = input.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(width)
            for (j, value) in input.enumerated() {
                let expected = (value - mean) / (variance + 1e-12).squareRoot() * 2 + 0.5
                #expect(abs(Double(x[row * width + j]) - expected) < 1e-5)
            }
        }
    }
}
