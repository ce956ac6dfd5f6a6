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
    /// The generic kernel set OpenBLAS had chosen when this program restarted itself on
    /// `coreName` (``restartOnCapableKernelsIfNeeded()``); `nil` when it did not.
    public let restartedFrom: String?

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
        return BLASBackend(kind: kind, libraryPath: path, configuration: config, coreName: core,
                           restartedFrom: environment(restartMarker))
    }

    private static func environment(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }

    // MARK: Kernels for an unknown CPU

    /// Set by ``restartOnCapableKernelsIfNeeded()`` for the restarted program: the kernel set
    /// OpenBLAS had chosen. Also what keeps a program from restarting twice; the restarted
    /// program reads it into ``restartedFrom`` and removes it, so its children do not inherit it.
    public static let restartMarker = "ENGRAM_BLAS_RESTARTED_FROM"

    /// Restarts this program on the strongest OpenBLAS kernels its CPU runs when OpenBLAS fell
    /// back to generic ones: it sets `OPENBLAS_CORETYPE` and replaces the process image with
    /// itself (`execv` of `/proc/self/exe`, same arguments, same process id, so a supervisor
    /// sees nothing). Returns when no restart is needed, on other systems than Linux, or when
    /// the restart failed (the program then goes on with the generic kernels and ``warning``).
    ///
    /// Why: OpenBLAS chooses kernels by CPU model and runs its generic Prescott kernels on a model
    /// newer than the library — as a distribution's OpenBLAS on a new server, or a virtual CPU,
    /// often is — several times slower for embedding and distances than the kernels the CPU can
    /// run (docs/performance.md#kernels-and-blas). OpenBLAS reads `OPENBLAS_CORETYPE` only while
    /// it loads, before any code of ours runs, so only a new process image can use it.
    ///
    /// Call it first thing in `main`, before the program starts threads of its own. An operator
    /// who sets `OPENBLAS_CORETYPE` (to any kernel set, OpenBLAS's own choice included) is never
    /// overruled. No restart either when `/proc/self/exe` is not the file `argv[0]` names (the
    /// program runs under a loader or an emulator, which the restart would start instead).
    public static func restartOnCapableKernelsIfNeeded() {
        #if os(Linux)
        if environment(restartMarker) != nil {
            _ = current  // reads the marker into `restartedFrom`
            unsetenv(restartMarker)
            return
        }
        guard let kernels = restartKernels, executableIsArgumentZero() else { return }
        guard setenv("OPENBLAS_CORETYPE", kernels, 1) == 0, setenv(restartMarker, current.coreName ?? "generic", 1) == 0 else {
            unsetenv("OPENBLAS_CORETYPE")
            return
        }
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        // Only reached when execv failed: carry on as started (``warning`` says what to do).
        unsetenv("OPENBLAS_CORETYPE")
        unsetenv(restartMarker)
        #endif
    }

    /// Whether `/proc/self/exe` is the file `argv[0]` names, directly or through `PATH`
    /// (same device and inode).
    static func executableIsArgumentZero() -> Bool {
        var running = stat()
        guard stat("/proc/self/exe", &running) == 0, let first = CommandLine.arguments.first, !first.isEmpty else {
            return false
        }
        let candidates = first.contains("/") ? [first]
            : (environment("PATH") ?? "").split(separator: ":", omittingEmptySubsequences: false)
                .map { ($0.isEmpty ? "." : String($0)) + "/" + first }
        return candidates.contains { path in
            var named = stat()
            return stat(path, &named) == 0 && named.st_dev == running.st_dev && named.st_ino == running.st_ino
        }
    }

    /// The kernel set ``restartOnCapableKernelsIfNeeded()`` restarts a program of this process's
    /// BLAS, CPU and environment on; `nil` when it would not restart.
    public static var restartKernels: String? {
        let backend = current
        return kernelsToRestartOn(coreName: backend.coreName, capableCore: capableCore, configuration: backend.configuration,
                                  coreTypeChosen: coreTypeChosen)
    }

    /// Whether `OPENBLAS_CORETYPE` is set (by an operator, or by a restart): OpenBLAS then ran
    /// the kernel set it names, and Engram neither restarts nor advises.
    static var coreTypeChosen: Bool { environment("OPENBLAS_CORETYPE") != nil }

    /// The strongest OpenBLAS kernel set this CPU runs (`SkylakeX`, `Haswell`), `nil` when none
    /// is better than generic.
    static var capableCore: String? { engram_cpu_openblas_coretype().map { String(cString: $0) } }

    /// The kernel set to restart on, from OpenBLAS's choice (`coreName`), the strongest set the
    /// CPU runs, OpenBLAS's build configuration and whether `OPENBLAS_CORETYPE` is set; `nil`
    /// for no restart. Only a `DYNAMIC_ARCH` build (a distribution's) holds other kernels and
    /// honours `OPENBLAS_CORETYPE`.
    static func kernelsToRestartOn(coreName: String?, capableCore: String?, configuration: String?,
                                   coreTypeChosen: Bool) -> String? {
        guard !coreTypeChosen, isGeneric(coreName), let capableCore, isDynamicArch(configuration) else { return nil }
        return capableCore
    }

    /// Whether `coreName` is one of OpenBLAS's kernel sets older than AVX2.
    static func isGeneric(_ coreName: String?) -> Bool {
        coreName.map { genericCores.contains($0.lowercased()) } ?? false
    }

    /// Whether OpenBLAS's build `configuration` holds every kernel set (only then does
    /// `OPENBLAS_CORETYPE` choose among them).
    static func isDynamicArch(_ configuration: String?) -> Bool {
        configuration?.contains("DYNAMIC_ARCH") ?? false
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
        if let restartedFrom, Self.isGeneric(coreName) {
            // Restarted for nothing: this OpenBLAS did not take the kernel set asked for.
            return """
                WARNING: restarted with OPENBLAS_CORETYPE=\(Self.environment("OPENBLAS_CORETYPE") ?? "?") over \
                OpenBLAS's generic \(restartedFrom) kernels, but OpenBLAS still runs \(coreName ?? "generic") kernels: \
                this build may not hold that kernel set. Embedding runs several times slower than the CPU allows.
                """
        }
        return Self.genericKernelWarning(coreName: coreName, capableCore: Self.capableCore,
                                         coreTypeChosen: Self.coreTypeChosen,
                                         dynamicArch: Self.isDynamicArch(configuration))
    }

    /// ``genericKernelWarning`` from its inputs: OpenBLAS's kernel set, the strongest one the
    /// CPU can run (`nil`: none better than generic) and whether `OPENBLAS_CORETYPE` is set.
    /// `dynamicArch`: the build holds every kernel set (only then can `OPENBLAS_CORETYPE` choose).
    static func genericKernelWarning(coreName: String?, capableCore: String?, coreTypeChosen: Bool,
                                     dynamicArch: Bool = true) -> String? {
        guard !coreTypeChosen, let coreName, isGeneric(coreName), let capableCore else { return nil }
        let situation = """
            WARNING: OpenBLAS runs its generic \(coreName) kernels, though the CPU has the instruction sets \
            of its \(capableCore) kernels, which embed several times faster.
            """
        guard dynamicArch else {
            return situation + """
                 This OpenBLAS build holds no other kernels (it is not a DYNAMIC_ARCH build): install \
                one that does, such as Debian's libopenblas0-pthread.
                """
        }
        return situation + " Start the program with OPENBLAS_CORETYPE=\(capableCore) in its environment."
    }

    /// OpenBLAS's kernel sets older than AVX2 (its fallbacks for an unknown x86-64 model).
    static let genericCores: Set<String> = ["prescott", "core2", "penryn", "dunnington", "nehalem", "atom",
                                            "sandybridge", "barcelona", "opteron", "opteron_sse3"]

    public var description: String {
        var text = kind.rawValue
        if let coreName, let restartedFrom, !Self.isGeneric(coreName) {
            text += " (\(coreName) kernels, chosen by Engram over OpenBLAS's generic \(restartedFrom))"
        } else if let coreName {
            text += " (\(coreName) kernels)"
        }
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
