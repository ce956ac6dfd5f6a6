import CBLASShim
import Foundation

/// Which BLAS library this process actually loaded, and the thread setting Engram needs.
///
/// Debian links `-lblas` against whatever the `libblas.so.3` alternative points to. OpenBLAS is
/// many times faster than the reference (netlib) BLAS for our kernels (see
/// docs/performance.md#kernels-and-blas), so programs log ``BLASBackend/current`` at start and
/// print ``warning`` when it is not OpenBLAS.
public struct BLASBackend: Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        case openBLAS = "OpenBLAS"
        /// The netlib reference implementation: correct but slow.
        case reference = "reference BLAS"
        case unknown = "unknown BLAS"
    }

    public let kind: Kind
    /// The shared object that provides `cblas_sdot` (from `dladdr`), when known.
    public let libraryPath: String?
    /// OpenBLAS's build configuration string, when the backend is OpenBLAS.
    public let configuration: String?
    /// OpenBLAS's kernel set (e.g. `Haswell`), when the backend is OpenBLAS.
    public let coreName: String?

    /// The backend loaded in this process. Detection runs once.
    public static let current: BLASBackend = BLASBackend.detect()

    static func detect() -> BLASBackend {
        let path = engram_blas_library_path().map { String(cString: $0) }
        let config = engram_blas_openblas_config().map { String(cString: $0) }
        let core = engram_blas_openblas_corename().map { String(cString: $0) }
        let kind: Kind
        if config != nil || (path?.contains("openblas") ?? false) {
            kind = .openBLAS
        } else if let path, path.contains("/blas/") || path.hasSuffix("libblas.so.3") || path.hasSuffix("libblas.so") {
            kind = .reference
        } else {
            kind = .unknown
        }
        return BLASBackend(kind: kind, libraryPath: path, configuration: config, coreName: core)
    }

    /// A loud, actionable message when the loaded BLAS is not OpenBLAS; `nil` when all is well.
    public var warning: String? {
        switch kind {
        case .openBLAS:
            return genericKernelWarning
        case .reference, .unknown:
            // The factor in this message is the one measured in docs/performance.md#kernels-and-blas
            // (as are the README's and the Makefile's); change them together.
            return """
                WARNING: Engram is running on the \(kind.rawValue) (\(libraryPath ?? "path unknown")), \
                which is 12-20x slower than OpenBLAS for its distance kernels. Install Debian's \
                libopenblas0-pthread so that libblas.so.3 points to OpenBLAS \
                (check with: update-alternatives --display libblas.so.3-x86_64-linux-gnu).
                """
        }
    }

    /// When OpenBLAS runs generic kernels (it did not recognise the CPU model, as on many
    /// virtual machines) on a CPU with AVX2 or AVX-512, what to do about it; `nil` otherwise
    /// or when `OPENBLAS_CORETYPE` already chose the kernels. OpenBLAS reads that variable
    /// when it loads, before any code of ours runs, so it can only be set for the next start.
    var genericKernelWarning: String? {
        Self.genericKernelWarning(coreName: coreName,
                                  capableCore: engram_cpu_openblas_coretype().map { String(cString: $0) },
                                  coreTypeChosen: ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] != nil)
    }

    /// ``genericKernelWarning`` from its inputs: OpenBLAS's kernel set, the strongest one the
    /// CPU can run (`nil`: none better than generic) and whether `OPENBLAS_CORETYPE` is set.
    static func genericKernelWarning(coreName: String?, capableCore: String?, coreTypeChosen: Bool) -> String? {
        guard !coreTypeChosen, let coreName, Self.genericCores.contains(coreName.lowercased()),
              let capableCore else { return nil }
        return """
            WARNING: OpenBLAS did not recognise this CPU and runs its generic \(coreName) kernels, \
            though the CPU has the instruction sets of its \(capableCore) kernels, which embed several times \
            faster. Start the program with OPENBLAS_CORETYPE=\(capableCore) in its environment.
            """
    }

    /// OpenBLAS's kernel sets older than AVX2 (its fallbacks for an unknown x86-64 model).
    static let genericCores: Set<String> = ["prescott", "core2", "penryn", "dunnington", "nehalem", "atom",
                                            "sandybridge", "barcelona", "opteron", "opteron_sse3"]

    public var description: String {
        var text = kind.rawValue
        if let coreName { text += " (\(coreName) kernels)" }
        if let libraryPath { text += " from \(libraryPath)" }
        return text
    }

    /// Number of threads the BLAS currently uses, or `nil` when the backend has no such control.
    public static var threadCount: Int? {
        let count = engram_blas_get_num_threads()
        return count < 0 ? nil : Int(count)
    }

    /// Makes BLAS calls single-threaded. Per-query kernels (one dot, one small gemv) are far
    /// slower when OpenBLAS spreads them over threads (see docs/performance.md#kernels-and-blas),
    /// and Engram parallelises across requests instead. Safe to call more than once. Returns
    /// whether the backend accepted the setting.
    @discardableResult
    public static func useSingleThread() -> Bool {
        engram_blas_set_num_threads(1) == 1
    }
}
