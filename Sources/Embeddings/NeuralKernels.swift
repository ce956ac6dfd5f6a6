/// The element-wise parts of the transformer (everything that is not a matrix product).
///
/// Written as plain `while` loops over raw pointers with no generics, closures or SIMD types:
/// the optimiser vectorises them in release builds (independent accumulators let it vectorise
/// reductions without reassociating), and debug builds — which `swift test` uses — stay
/// within a small factor of release speed because nothing here goes through non-inlined
/// generic code. `SIMD*.addingProduct` is avoided on purpose: without an FMA target feature it
/// lowers to a call to `fmaf` per lane.
enum NeuralKernels {
    /// `exp(x)` to about 1 ulp for x in [-87, 88] (inputs outside are clamped). Cody–Waite
    /// range reduction to |f| ≤ ln 2 / 2, a degree-5 minimax polynomial (Cephes `expf`), and
    /// the power of two assembled from the rounding constant's bits, so that the function
    /// is branch-free and vectorises.
    @_transparent
    static func exp(_ x: Float) -> Float {
        let clamped = x < -87 ? -87 : (x > 88 ? 88 : x)
        // Adding 1.5 · 2^23 rounds to an integer n held in the low mantissa bits.
        let shifted = clamped * 1.442_695_04 + 12_582_912
        let n = shifted - 12_582_912
        let f = clamped - n * 0.693_359_375 + n * 2.121_944_4e-4
        var p: Float = 1.987_569_15e-4
        p = p * f + 1.398_199_950_7e-3
        p = p * f + 8.333_451_907_3e-3
        p = p * f + 4.166_579_589_4e-2
        p = p * f + 1.666_666_545_9e-1
        p = p * f + 5.000_000_120_1e-1
        let mantissa = p * f * f + f + 1
        let exponent = (shifted.bitPattern &- 0x4B40_0000 &+ 127) &<< 23
        return mantissa * Float(bitPattern: exponent)
    }

    /// GELU, erf form, after adding a bias: `x = g(x + bias)` with
    /// `g(v) = v · Φ(v) = 0.5 · v · (1 + erf(v / √2))`, in place over `rows` rows of `width`.
    ///
    /// `1 + erf(z)` is computed as `erfc(|z|)` for z < 0 and `2 − erfc(|z|)` otherwise, with
    /// Abramowitz–Stegun 7.1.26 for erfc (absolute error ≤ 1.5e-7), so no cancellation occurs
    /// for negative inputs. O(rows · width).
    static func gelu(_ x: UnsafeMutablePointer<Float>, rows: Int, width: Int, bias: UnsafePointer<Float>) {
        var r = 0
        while r < rows {
            let row = x + r * width
            var i = 0
            while i < width {
                let v = row[i] + bias[i]
                let z = v * 0.707_106_77
                let a = z < 0 ? -z : z
                let t = 1 / (1 + 0.327_591_1 * a)
                var poly: Float = 1.061_405_429
                poly = poly * t - 1.453_152_027
                poly = poly * t + 1.421_413_741
                poly = poly * t - 0.284_496_736
                poly = poly * t + 0.254_829_592
                let erfc = poly * t * exp(-a * a)
                let onePlusErf = z < 0 ? erfc : 2 - erfc
                row[i] = 0.5 * v * onePlusErf
                i &+= 1
            }
            r &+= 1
        }
    }

    /// Adds `bias` (`width` floats) to each of `rows` rows of `x`. O(rows · width).
    static func addBias(_ x: UnsafeMutablePointer<Float>, rows: Int, width: Int, bias: UnsafePointer<Float>) {
        var r = 0
        while r < rows {
            let row = x + r * width
            var j = 0
            while j < width {
                row[j] += bias[j]
                j &+= 1
            }
            r &+= 1
        }
    }

    /// Row-wise softmax over `rows` rows of `columns` floats, `stride` floats apart. Subtracts
    /// the row maximum first, so large scores cannot overflow. O(rows · columns).
    static func softmaxRows(_ x: UnsafeMutablePointer<Float>, rows: Int, columns: Int, stride: Int) {
        var r = 0
        while r < rows {
            let row = x + r * stride
            var maximum = row[0]
            var j = 1
            while j < columns {
                if row[j] > maximum { maximum = row[j] }
                j &+= 1
            }
            var s0: Float = 0, s1: Float = 0, s2: Float = 0, s3: Float = 0
            j = 0
            while j &+ 4 <= columns {
                let e0 = exp(row[j] - maximum), e1 = exp(row[j &+ 1] - maximum)
                let e2 = exp(row[j &+ 2] - maximum), e3 = exp(row[j &+ 3] - maximum)
                row[j] = e0; row[j &+ 1] = e1; row[j &+ 2] = e2; row[j &+ 3] = e3
                s0 += e0; s1 += e1; s2 += e2; s3 += e3
                j &+= 4
            }
            while j < columns {
                let e = exp(row[j] - maximum)
                row[j] = e
                s0 += e
                j &+= 1
            }
            let inverse = 1 / ((s0 + s1) + (s2 + s3))
            j = 0
            while j < columns {
                row[j] *= inverse
                j &+= 1
            }
            r &+= 1
        }
    }

    /// In place, for each of `rows` rows of `width` floats: `x = LayerNorm(x + bias + residual)`
    /// with the given scale and shift (`bias`, one row, and `residual`, `rows` rows, may be
    /// `nil`). Mean and variance are computed in two passes (no E[x²] − E[x]² cancellation),
    /// biased variance as in PyTorch. O(rows · width).
    /// - Precondition: `width` is a multiple of 8.
    static func layerNorm(_ x: UnsafeMutablePointer<Float>, adding residual: UnsafePointer<Float>?,
                          bias: UnsafePointer<Float>? = nil,
                          rows: Int, width: Int, gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>,
                          epsilon: Float) {
        let inverseWidth = 1 / Float(width)
        var r = 0
        while r < rows {
            let row = x + r * width
            if let residual, let bias {
                let other = residual + r * width
                var j = 0
                while j < width {
                    row[j] = (row[j] + bias[j]) + other[j]
                    j &+= 1
                }
            } else if let bias {
                var j = 0
                while j < width {
                    row[j] += bias[j]
                    j &+= 1
                }
            } else if let residual {
                let other = residual + r * width
                var j = 0
                while j < width {
                    row[j] += other[j]
                    j &+= 1
                }
            }
            var s0: Float = 0, s1: Float = 0, s2: Float = 0, s3: Float = 0
            var s4: Float = 0, s5: Float = 0, s6: Float = 0, s7: Float = 0
            var j = 0
            while j < width {
                s0 += row[j]; s1 += row[j &+ 1]; s2 += row[j &+ 2]; s3 += row[j &+ 3]
                s4 += row[j &+ 4]; s5 += row[j &+ 5]; s6 += row[j &+ 6]; s7 += row[j &+ 7]
                j &+= 8
            }
            let mean = (((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))) * inverseWidth
            s0 = 0; s1 = 0; s2 = 0; s3 = 0; s4 = 0; s5 = 0; s6 = 0; s7 = 0
            j = 0
            while j < width {
                let d0 = row[j] - mean, d1 = row[j &+ 1] - mean, d2 = row[j &+ 2] - mean, d3 = row[j &+ 3] - mean
                let d4 = row[j &+ 4] - mean, d5 = row[j &+ 5] - mean, d6 = row[j &+ 6] - mean, d7 = row[j &+ 7] - mean
                s0 += d0 * d0; s1 += d1 * d1; s2 += d2 * d2; s3 += d3 * d3
                s4 += d4 * d4; s5 += d5 * d5; s6 += d6 * d6; s7 += d7 * d7
                j &+= 8
            }
            let variance = (((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))) * inverseWidth
            let scale = 1 / (variance + epsilon).squareRoot()
            j = 0
            while j < width {
                row[j] = (row[j] - mean) * scale * gamma[j] + beta[j]
                j &+= 1
            }
            r &+= 1
        }
    }
}
