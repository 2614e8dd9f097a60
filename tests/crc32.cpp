#include <catch2/catch.hpp>

#include <random>
#include <vector>

#include <typenet/detail/formats/crc32.hpp>

using typenet::detail::crc32;

namespace {
std::span<const std::byte> bytes_of(std::string_view s) { return std::as_bytes(std::span<const char>(s.data(), s.size())); }
// The byte-at-a-time definition, as the zip specification gives it.
std::uint32_t crc32_bitwise(std::span<const std::byte> data, std::uint32_t crc = 0) {
    crc = ~crc;
    for (std::byte b : data) {
        crc ^= std::uint32_t(b);
        for (int k = 0; k < 8; ++k) crc = (crc & 1) ? 0xEDB88320u ^ (crc >> 1) : crc >> 1;
    }
    return ~crc;
}
}  // namespace

// The check value of the CRC-32 catalogue: crc32("123456789") = 0xCBF43926.
static_assert(crc32(std::span<const std::byte>()) == 0);
static_assert(typenet::detail::crc32_fold_constant(4 * 128 + 32) == 0x154442bd4);

TEST_CASE("crc32 matches the bitwise definition at every length, alignment and starting value") {
    CHECK(crc32(bytes_of("123456789")) == 0xCBF43926u);
    std::mt19937 gen(7);
    std::vector<std::byte> data(5000);
    for (std::byte& b : data) b = std::byte(gen() & 0xFF);
    for (std::size_t length : {0, 1, 15, 16, 63, 64, 65, 127, 128, 129, 200, 1000, 4999}) {
        for (std::size_t offset = 0; offset < 5; ++offset) {
            const auto part = std::span<const std::byte>(data).subspan(offset, std::min(length, data.size() - offset));
            INFO("length " << part.size() << ", offset " << offset);
            CHECK(crc32(part) == crc32_bitwise(part));
            CHECK(crc32(part, 0x12345678u) == crc32_bitwise(part, 0x12345678u));
            // Continuing a CRC over two halves is the CRC of the whole.
            const std::size_t half = part.size() / 2;
            CHECK(crc32(part.subspan(half), crc32(part.first(half))) == crc32_bitwise(part));
        }
    }
}
