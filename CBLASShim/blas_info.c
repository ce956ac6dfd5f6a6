#define _GNU_SOURCE
#include <dlfcn.h>
#include <stddef.h>
#include "CBLASShim.h"

/* Looks a symbol up in whatever the dynamic linker loaded, so the shim works with any BLAS
 * behind libblas.so.3 without linking OpenBLAS's own extensions. */
static void *engram_find(const char *name) {
    return dlsym(RTLD_DEFAULT, name);
}

const char *engram_blas_library_path(void) {
    Dl_info info;
    if (dladdr((const void *)&cblas_sdot, &info) == 0 || info.dli_fname == NULL) return NULL;
    return info.dli_fname;
}

const char *engram_blas_openblas_config(void) {
    char *(*config)(void) = (char *(*)(void))engram_find("openblas_get_config");
    return config ? config() : NULL;
}

const char *engram_blas_openblas_corename(void) {
    char *(*core)(void) = (char *(*)(void))engram_find("openblas_get_corename");
    return core ? core() : NULL;
}

const char *engram_cpu_openblas_coretype(void) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512cd") && __builtin_cpu_supports("avx512bw")
        && __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl")) {
        return "SkylakeX";
    }
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return "Haswell";
#endif
    return NULL;
}

int engram_blas_set_num_threads(int threads) {
    void (*set)(int) = (void (*)(int))engram_find("openblas_set_num_threads");
    if (set == NULL) return 0;
    set(threads);
    return 1;
}

int engram_blas_get_num_threads(void) {
    int (*get)(void) = (int (*)(void))engram_find("openblas_get_num_threads");
    return get ? get() : -1;
}
