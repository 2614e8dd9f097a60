// CRC-32 as zip uses it (IEEE 802.3, reflected, polynomial 0xEDB88320), eight bytes at a time.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

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

// Continues a CRC: crc32(b, crc32(a)) == crc32(a followed by b). Starts from 0.
constexpr std::uint32_t crc32(std::span<const std::byte> data, std::uint32_t crc = 0) {
    const auto& t = crc32_tables;
    crc = ~crc;
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
    return ~crc;
}

}  // namespace typenet::detail
