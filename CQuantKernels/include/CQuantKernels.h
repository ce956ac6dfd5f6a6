#ifndef ENGRAM_CQUANT_KERNELS_H
#define ENGRAM_CQUANT_KERNELS_H

/* Integer dot products for scalar-quantised vectors: the HNSW traversal scores a query against
 * stored 8-bit codes with these, and re-ranks its final candidates with BLAS on the floats.
 *
 * A stored vector is `n` unsigned codes (0...255); a prepared query is `n` signed weights
 * (-127...127). The kernel returns the exact integer sum of code[i]·weight[i]: for n up to
 * 65,536 it cannot overflow 32 bits (65,536·255·127 < 2^31). */

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef int32_t (*engram_u8s8_dot_fn)(const uint8_t *codes, const int8_t *weights, int n);

/* The fastest kernel this CPU runs: AVX-512 VNNI, AVX2, or portable C. Chosen by CPUID at the
 * first call and the same afterwards; safe to call from any thread. */
engram_u8s8_dot_fn engram_u8s8_dot_kernel(void);

/* The name of the kernel `engram_u8s8_dot_kernel` returns ("avx512-vnni", "avx2", "portable"). */
const char *engram_u8s8_dot_kernel_name(void);

/* Each kernel by name, for tests and benchmarks: NULL when this CPU (or this build's target)
 * cannot run it. "portable" is always available. */
engram_u8s8_dot_fn engram_u8s8_dot_kernel_named(const char *name);

/* The same for packed 4-bit codes (0...15): byte j holds dimension j in its low nibble and
 * dimension j + (n + 1) / 2 in its high nibble; `n` is the number of dimensions, the weights
 * are in dimension order. The same CPU features choose the kernel, so
 * `engram_u8s8_dot_kernel_name` names it too. */
engram_u8s8_dot_fn engram_u4s8_dot_kernel(void);
engram_u8s8_dot_fn engram_u4s8_dot_kernel_named(const char *name);

#ifdef __cplusplus
}
#endif

#endif
