#include "CQuantKernels.h"
#include "kernel_choice.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

/* Portable kernel: the compiler vectorises it for the build's baseline target. */
static int32_t u8s8_dot_portable(const uint8_t *codes, const int8_t *weights, int n) {
    int32_t sum = 0;
    for (int i = 0; i < n; i++) sum += (int32_t)codes[i] * (int32_t)weights[i];
    return sum;
}

#if defined(__x86_64__)

/* AVX2: widen 16 codes and 16 weights to 16-bit lanes and multiply-add pairs into 32-bit sums
 * (vpmaddwd). The 8-bit vpmaddubsw would saturate: 255·127·2 exceeds a 16-bit lane. */
__attribute__((target("avx2")))
static int32_t u8s8_dot_avx2(const uint8_t *codes, const int8_t *weights, int n) {
    __m256i sum0 = _mm256_setzero_si256();
    __m256i sum1 = _mm256_setzero_si256();
    int i = 0;
    for (; i + 32 <= n; i += 32) {
        __m128i c0 = _mm_loadu_si128((const __m128i *)(codes + i));
        __m128i c1 = _mm_loadu_si128((const __m128i *)(codes + i + 16));
        __m128i w0 = _mm_loadu_si128((const __m128i *)(weights + i));
        __m128i w1 = _mm_loadu_si128((const __m128i *)(weights + i + 16));
        sum0 = _mm256_add_epi32(sum0, _mm256_madd_epi16(_mm256_cvtepu8_epi16(c0), _mm256_cvtepi8_epi16(w0)));
        sum1 = _mm256_add_epi32(sum1, _mm256_madd_epi16(_mm256_cvtepu8_epi16(c1), _mm256_cvtepi8_epi16(w1)));
    }
    __m256i sum = _mm256_add_epi32(sum0, sum1);
    __m128i half = _mm_add_epi32(_mm256_castsi256_si128(sum), _mm256_extracti128_si256(sum, 1));
    half = _mm_add_epi32(half, _mm_shuffle_epi32(half, _MM_SHUFFLE(1, 0, 3, 2)));
    half = _mm_add_epi32(half, _mm_shuffle_epi32(half, _MM_SHUFFLE(2, 3, 0, 1)));
    int32_t total = _mm_cvtsi128_si32(half);
    for (; i < n; i++) total += (int32_t)codes[i] * (int32_t)weights[i];
    return total;
}

/* AVX-512 VNNI: vpdpbusd multiplies 64 unsigned codes by 64 signed weights and adds each group
 * of four products into a 32-bit lane, exactly (no 16-bit intermediate). The tail is masked. */
__attribute__((target("avx512f,avx512bw,avx512vnni")))
static int32_t u8s8_dot_avx512_vnni(const uint8_t *codes, const int8_t *weights, int n) {
    __m512i sum0 = _mm512_setzero_si512();
    __m512i sum1 = _mm512_setzero_si512();
    int i = 0;
    for (; i + 128 <= n; i += 128) {
        sum0 = _mm512_dpbusd_epi32(sum0, _mm512_loadu_si512(codes + i), _mm512_loadu_si512(weights + i));
        sum1 = _mm512_dpbusd_epi32(sum1, _mm512_loadu_si512(codes + i + 64), _mm512_loadu_si512(weights + i + 64));
    }
    for (; i < n; i += 64) {
        int left = n - i;
        __mmask64 mask = left >= 64 ? ~(__mmask64)0 : (((__mmask64)1 << left) - 1);
        sum0 = _mm512_dpbusd_epi32(sum0, _mm512_maskz_loadu_epi8(mask, codes + i), _mm512_maskz_loadu_epi8(mask, weights + i));
    }
    return _mm512_reduce_add_epi32(_mm512_add_epi32(sum0, sum1));
}

#endif

engram_u8s8_dot_fn engram_u8s8_dot_kernel_named(const char *name) {
#if defined(__x86_64__)
    return engram_kernel_named(name, u8s8_dot_portable, u8s8_dot_avx2, u8s8_dot_avx512_vnni);
#else
    return engram_kernel_named(name, u8s8_dot_portable, NULL, NULL);
#endif
}

const char *engram_u8s8_dot_kernel_name(void) {
#if defined(__x86_64__)
    if (engram_cpu_has_avx512_vnni()) return "avx512-vnni";
    if (engram_cpu_has_avx2()) return "avx2";
#endif
    return "portable";
}

engram_u8s8_dot_fn engram_u8s8_dot_kernel(void) {
    static engram_u8s8_dot_fn chosen = NULL;
    return engram_kernel_chosen(&chosen, engram_u8s8_dot_kernel_named);
}
