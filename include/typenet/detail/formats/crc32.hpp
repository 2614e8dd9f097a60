// CRC-32 as zip uses it (IEEE 802.3, reflected, polynomial 0xEDB88320). Checking every storage of a
// checkpoint must not slow loading down, so on x86 CPUs with carry-less multiplication (PCLMULQDQ)
// 64 bytes at a time are folded with multiplications modulo the polynomial; elsewhere, and in
// constant expressions, a table does eight bytes at a time.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <type_traits>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace typenet::detail {

inline constexpr auto crc32_tables = [] {
    std::array<std::array<std::uint32_t, 256>, 8> t{};
    for (std::uint32_t i = 0; i < 256; ++i) {
        std::uint32_t c = i;
        for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        t[0][i] = c;
    }
    for (std::size_t k = 1; k < 8; ++k)
        for (std::size_t i = 0; i < 256; ++i) t[k][i] = (t[k - 1][i] >> 8) ^ t[0][t[k - 1][i] & 0xFF];
    return t;
}();

// The CRC register (not inverted) after `data`, from `crc`: eight bytes per step, then one by one.
constexpr std::uint32_t crc32_register_table(std::span<const std::byte> data, std::uint32_t crc) {
    const auto& t = crc32_tables;
    std::size_t i = 0;
    for (; i + 8 <= data.size(); i += 8) {
        const std::uint32_t lo = crc ^ (std::uint32_t(data[i]) | std::uint32_t(data[i + 1]) << 8 |
                                        std::uint32_t(data[i + 2]) << 16 | std::uint32_t(data[i + 3]) << 24);
        const std::uint32_t hi = std::uint32_t(data[i + 4]) | std::uint32_t(data[i + 5]) << 8 |
                                 std::uint32_t(data[i + 6]) << 16 | std::uint32_t(data[i + 7]) << 24;
        crc = t[7][lo & 0xFF] ^ t[6][(lo >> 8) & 0xFF] ^ t[5][(lo >> 16) & 0xFF] ^ t[4][lo >> 24] ^
              t[3][hi & 0xFF] ^ t[2][(hi >> 8) & 0xFF] ^ t[1][(hi >> 16) & 0xFF] ^ t[0][hi >> 24];
    }
    for (; i < data.size(); ++i) crc = t[0][(crc ^ std::uint32_t(data[i])) & 0xFF] ^ (crc >> 8);
    return crc;
}

// Folding constants: x^n mod P, bit-reflected and shifted left by one, as the reflected
// carry-less products need them. n = 4*128 +- 32 folds across 64 bytes, 128 +- 32 across 16.
constexpr std::uint64_t crc32_fold_constant(unsigned n) {
    std::uint64_t r = 1;
    for (unsigned i = 0; i < n; ++i) {
        r <<= 1;
        if (r & (std::uint64_t(1) << 32)) r ^= 0x104C11DB7u;
    }
    std::uint64_t reflected = 0;
    for (int b = 0; b < 32; ++b)
        if (r & (std::uint64_t(1) << b)) reflected |= std::uint64_t(1) << (31 - b);
    return reflected << 1;
}

#if defined(__x86_64__)
// The register after `data` (at least 64 bytes): four 16-byte lanes are folded 64 bytes forward
// until fewer than 64 bytes remain, then into one lane, then 16 bytes at a time. The folded lane
// is congruent to what it replaced, so the table finishes over its 16 bytes and the tail.
__attribute__((target("pclmul,sse4.1"))) inline __m128i crc32_fold(__m128i x, __m128i k, __m128i next) {
    return _mm_xor_si128(_mm_xor_si128(_mm_clmulepi64_si128(x, k, 0x00), _mm_clmulepi64_si128(x, k, 0x11)), next);
}

__attribute__((target("pclmul,sse4.1"))) inline std::uint32_t crc32_register_folded(std::span<const std::byte> data,
                                                                                      std::uint32_t crc) {
    const __m128i across64 = _mm_set_epi64x(std::int64_t(crc32_fold_constant(4 * 128 - 32)),
                                            std::int64_t(crc32_fold_constant(4 * 128 + 32)));
    const __m128i across16 = _mm_set_epi64x(std::int64_t(crc32_fold_constant(128 - 32)),
                                            std::int64_t(crc32_fold_constant(128 + 32)));
#define TYPENET_CRC_LOAD(p) _mm_loadu_si128(reinterpret_cast<const __m128i*>(p))
    const std::byte* p = data.data();
    std::size_t n = data.size();
    __m128i x0 = _mm_xor_si128(TYPENET_CRC_LOAD(p), _mm_cvtsi32_si128(int(crc)));
    __m128i x1 = TYPENET_CRC_LOAD(p + 16), x2 = TYPENET_CRC_LOAD(p + 32), x3 = TYPENET_CRC_LOAD(p + 48);
    for (p += 64, n -= 64; n >= 64; p += 64, n -= 64) {
        x0 = crc32_fold(x0, across64, TYPENET_CRC_LOAD(p));
        x1 = crc32_fold(x1, across64, TYPENET_CRC_LOAD(p + 16));
        x2 = crc32_fold(x2, across64, TYPENET_CRC_LOAD(p + 32));
        x3 = crc32_fold(x3, across64, TYPENET_CRC_LOAD(p + 48));
    }
    __m128i x = crc32_fold(crc32_fold(crc32_fold(x0, across16, x1), across16, x2), across16, x3);
    for (; n >= 16; p += 16, n -= 16) x = crc32_fold(x, across16, TYPENET_CRC_LOAD(p));
#undef TYPENET_CRC_LOAD
    alignas(16) std::byte lane[16];
    _mm_store_si128(reinterpret_cast<__m128i*>(lane), x);
    return crc32_register_table(std::span<const std::byte>(p, n), crc32_register_table(lane, 0));
}

inline bool crc32_can_fold() {
    static const bool supported = __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse4.1");
    return supported;
}
#endif

// Continues a CRC: crc32(b, crc32(a)) == crc32(a followed by b). Starts from 0.
constexpr std::uint32_t crc32(std::span<const std::byte> data, std::uint32_t crc = 0) {
#if defined(__x86_64__)
    if (!std::is_constant_evaluated() && data.size() >= 64 && crc32_can_fold())
        return ~crc32_register_folded(data, ~crc);
#endif
    return ~crc32_register_table(data, ~crc);
}

}  // namespace typenet::detail
