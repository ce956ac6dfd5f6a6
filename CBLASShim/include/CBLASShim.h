#ifndef ENGRAM_CBLAS_SHIM_H
#define ENGRAM_CBLAS_SHIM_H

/* The BLAS calls Engram uses, and nothing else. Declared here (CBLAS ABI) rather than through
 * <cblas.h> so that the module does not depend on which alternative owns the header. */

#ifdef __cplusplus
extern "C" {
#endif

enum EngramCBLASOrder { EngramCBLASRowMajor = 101, EngramCBLASColMajor = 102 };
enum EngramCBLASTranspose { EngramCBLASNoTrans = 111, EngramCBLASTrans = 112 };

float cblas_sdot(const int n, const float *x, const int incx, const float *y, const int incy);

void cblas_sgemv(const int order, const int trans, const int m, const int n,
                 const float alpha, const float *a, const int lda,
                 const float *x, const int incx, const float beta, float *y, const int incy);

void cblas_sgemm(const int order, const int transA, const int transB,
                 const int m, const int n, const int k,
                 const float alpha, const float *a, const int lda,
                 const float *b, const int ldb, const float beta, float *c, const int ldc);

/* Path of the shared object that actually provides cblas_sdot in this process (dladdr),
 * or NULL when it cannot be told (static link). The string lives as long as the library. */
const char *engram_blas_library_path(void);

/* OpenBLAS's configuration string ("OpenBLAS 0.3.21 DYNAMIC_ARCH ... Haswell ...") when the
 * loaded BLAS is OpenBLAS, NULL otherwise. */
const char *engram_blas_openblas_config(void);

/* OpenBLAS's core name (the kernel set in use), NULL when not OpenBLAS. */
const char *engram_blas_openblas_corename(void);

/* The strongest OpenBLAS kernel set this CPU can run, by its instruction sets ("SkylakeX" with
 * AVX-512 F/CD/BW/DQ/VL, "Haswell" with AVX2 and FMA), or NULL for neither (or not x86-64).
 * OpenBLAS picks its kernels by CPU model and falls back to generic ones for a model it does
 * not know (a virtual CPU often reports none), whatever the instruction sets. */
const char *engram_cpu_openblas_coretype(void);

/* Sets the number of BLAS threads when the loaded BLAS supports it (OpenBLAS). Returns 1 when
 * applied, 0 when the library has no such control (the reference BLAS is single-threaded). */
int engram_blas_set_num_threads(int threads);

/* Current number of BLAS threads (OpenBLAS), or -1 when unknown. */
int engram_blas_get_num_threads(void);

/* Hints the CPU to start loading the cache line at `address` for reading. The HNSW search loop
 * calls it for the next neighbour's vector while it computes the current distance; Swift has no
 * prefetch intrinsic, and this is the only non-BLAS helper of the kernel path. */
static inline void engram_prefetch(const void *address) {
    __builtin_prefetch(address, 0, 3);
}

#ifdef __cplusplus
}
#endif

#endif
