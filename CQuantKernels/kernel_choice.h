#ifndef ENGRAM_CQUANT_KERNEL_CHOICE_H
#define ENGRAM_CQUANT_KERNEL_CHOICE_H

/* How the 8-bit and 4-bit kernel families are chosen: by name when the CPU runs the variant,
 * and once per process for the fastest. Internal to CQuantKernels. */

#include "CQuantKernels.h"

#include <string.h>

#if defined(__x86_64__)
static inline int engram_cpu_has_avx2(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2");
}

static inline int engram_cpu_has_avx512_vnni(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw")
        && __builtin_cpu_supports("avx512vnni");
}
#endif

/* The variant `name` of a family ("portable", "avx2", "avx512-vnni"), or NULL when this CPU
 * cannot run it or the build has none (`avx2`, `avx512` may be NULL off x86-64). */
static inline engram_u8s8_dot_fn engram_kernel_named(const char *name, engram_u8s8_dot_fn portable,
                                                     engram_u8s8_dot_fn avx2, engram_u8s8_dot_fn avx512) {
    if (name == NULL) return NULL;
    if (strcmp(name, "portable") == 0) return portable;
#if defined(__x86_64__)
    if (strcmp(name, "avx2") == 0) return engram_cpu_has_avx2() ? avx2 : NULL;
    if (strcmp(name, "avx512-vnni") == 0) return engram_cpu_has_avx512_vnni() ? avx512 : NULL;
#else
    (void)avx2;
    (void)avx512;
#endif
    return NULL;
}

/* The variant `engram_u8s8_dot_kernel_name` names, looked up once into `*chosen`. Racing first
 * calls compute the same answer; the pointer store is a single word. */
static inline engram_u8s8_dot_fn engram_kernel_chosen(engram_u8s8_dot_fn *chosen,
                                                      engram_u8s8_dot_fn (*named)(const char *)) {
    engram_u8s8_dot_fn kernel = __atomic_load_n(chosen, __ATOMIC_ACQUIRE);
    if (kernel == NULL) {
        kernel = named(engram_u8s8_dot_kernel_name());
        __atomic_store_n(chosen, kernel, __ATOMIC_RELEASE);
    }
    return kernel;
}

#endif
