#include "CQuantKernels.h"
#include "kernel_choice.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

/* Packed 4-bit codes: byte j holds dimension j in its low nibble and dimension j + half in its
 * high nibble (half = (n + 1) / 2; the high nibble of the last byte is 0 when n is odd). Both
 * halves then line up with contiguous runs of the weights, so a SIMD kernel unpacks a block of
 * bytes with one AND and one shift, and needs no shuffle. */

static int32_t u4s8_dot_portable(const uint8_t *codes, const int8_t *weights, int n) {
    int half = (n + 1) / 2;
    int32_t sum = 0;
    for (int j = 0; j < half; j++) {
        sum += (int32_t)(codes[j] & 15) * (int32_t)weights[j];
        if (j + half < n) sum += (int32_t)(codes[j] >> 4) * (int32_t)weights[j + half];
    }
    return sum;
}

#if defined(__x86_64__)

/* AVX2: 16 bytes (32 dimensions) a step, each nibble half widened to 16-bit lanes and
 * multiply-added into 32-bit sums (vpmaddwd). */
__attribute__((target("avx2")))
static int32_t u4s8_dot_avx2(const uint8_t *codes, const int8_t *weights, int n) {
    int half = (n + 1) / 2;
    int full = n / 2; /* bytes whose high nibble is a dimension */
    const __m128i nibble = _mm_set1_epi8(15);
    __m256i sum = _mm256_setzero_si256();
    int j = 0;
    for (; j + 16 <= full; j += 16) {
        __m128i c = _mm_loadu_si128((const __m128i *)(codes + j));
        __m128i lo = _mm_and_si128(c, nibble);
        __m128i hi = _mm_and_si128(_mm_srli_epi16(c, 4), nibble);
        __m128i wlo = _mm_loadu_si128((const __m128i *)(weights + j));
        __m128i whi = _mm_loadu_si128((const __m128i *)(weights + half + j));
        sum = _mm256_add_epi32(sum, _mm256_madd_epi16(_mm256_cvtepu8_epi16(lo), _mm256_cvtepi8_epi16(wlo)));
        sum = _mm256_add_epi32(sum, _mm256_madd_epi16(_mm256_cvtepu8_epi16(hi), _mm256_cvtepi8_epi16(whi)));
    }
    __m128i total4 = _mm_add_epi32(_mm256_castsi256_si128(sum), _mm256_extracti128_si256(sum, 1));
    total4 = _mm_add_epi32(total4, _mm_shuffle_epi32(total4, _MM_SHUFFLE(1, 0, 3, 2)));
    total4 = _mm_add_epi32(total4, _mm_shuffle_epi32(total4, _MM_SHUFFLE(2, 3, 0, 1)));
    int32_t total = _mm_cvtsi128_si32(total4);
    for (; j < half; j++) {
        total += (int32_t)(codes[j] & 15) * (int32_t)weights[j];
        if (j + half < n) total += (int32_t)(codes[j] >> 4) * (int32_t)weights[j + half];
    }
    return total;
}

/* AVX-512 VNNI: 64 bytes (128 dimensions) a step, two vpdpbusd on the unpacked halves; the
 * tail is masked (the high half of an odd dimension count is one weight shorter). */
__attribute__((target("avx512f,avx512bw,avx512vnni")))
static int32_t u4s8_dot_avx512_vnni(const uint8_t *codes, const int8_t *weights, int n) {
    int half = (n + 1) / 2;
    int full = n / 2;
    const __m512i nibble = _mm512_set1_epi8(15);
    __m512i sum0 = _mm512_setzero_si512();
    __m512i sum1 = _mm512_setzero_si512();
    for (int j = 0; j < half; j += 64) {
        int left = half - j, leftHigh = full - j;
        __mmask64 mask = left >= 64 ? ~(__mmask64)0 : (((__mmask64)1 << left) - 1);
        __mmask64 maskHigh = leftHigh >= 64 ? ~(__mmask64)0 : leftHigh <= 0 ? 0 : (((__mmask64)1 << leftHigh) - 1);
        __m512i c = _mm512_maskz_loadu_epi8(mask, codes + j);
        __m512i lo = _mm512_and_si512(c, nibble);
        __m512i hi = _mm512_and_si512(_mm512_srli_epi16(c, 4), nibble);
        sum0 = _mm512_dpbusd_epi32(sum0, lo, _mm512_maskz_loadu_epi8(mask, weights + j));
        sum1 = _mm512_dpbusd_epi32(sum1, hi, _mm512_maskz_loadu_epi8(maskHigh, weights + half + j));
    }
    return _mm512_reduce_add_epi32(_mm512_add_epi32(sum0, sum1));
}

#endif

engram_u8s8_dot_fn engram_u4s8_dot_kernel_named(const char *name) {
#if defined(__x86_64__)
    return engram_kernel_named(name, u4s8_dot_portable, u4s8_dot_avx2, u4s8_dot_avx512_vnni);
#else
    return engram_kernel_named(name, u4s8_dot_portable, NULL, NULL);
#endif
}

engram_u8s8_dot_fn engram_u4s8_dot_kernel(void) {
    static engram_u8s8_dot_fn chosen = NULL;
    return engram_kernel_chosen(&chosen, engram_u4s8_dot_kernel_named);
}
