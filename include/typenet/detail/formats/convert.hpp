// Copying a checkpoint tensor (any dtype, any strides, either byte order) into a model entry.
#pragma once

#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <span>
#include <vector>

#include "../../checkpoint.hpp"
#include "../../dtype.hpp"

namespace typenet::detail {

constexpr float half_to_float(std::uint16_t h) {
    const std::uint32_t sign = std::uint32_t(h & 0x8000u) << 16;
    std::uint32_t exponent = (h >> 10) & 0x1Fu;
    std::uint32_t mantissa = h & 0x3FFu;
    std::uint32_t bits;
    if (exponent == 0x1F) {
        bits = sign | 0x7F800000u | (mantissa << 13);  // inf, NaN
    } else if (exponent != 0) {
        bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
    } else if (mantissa == 0) {
        bits = sign;  // +-0
    } else {  // subnormal: normalise
        exponent = 113;
        while ((mantissa & 0x400u) == 0) {
            mantissa <<= 1;
            --exponent;
        }
        bits = sign | (exponent << 23) | ((mantissa & 0x3FFu) << 13);
    }
    return std::bit_cast<float>(bits);
}

constexpr float bfloat16_to_float(std::uint16_t b) { return std::bit_cast<float>(std::uint32_t(b) << 16); }

// One element of `type` at `p`, as a double and, for integer types, exactly as an int64.
struct element {
    double real;
    std::int64_t integer;
    bool is_integer;
};

inline element read_element(const std::byte* p, dtype type, bool swap) {
    unsigned char raw[8];
    const std::size_t size = size_of(type);
    for (std::size_t i = 0; i < size; ++i) raw[i] = static_cast<unsigned char>(p[swap ? size - 1 - i : i]);
    auto load = [&](auto value) {
        std::memcpy(&value, raw, sizeof value);
        return value;
    };
    switch (type) {
        case dtype::float32: return {double(load(float{})), 0, false};
        case dtype::float64: return {load(double{}), 0, false};
        case dtype::float16: return {double(half_to_float(load(std::uint16_t{}))), 0, false};
        case dtype::bfloat16: return {double(bfloat16_to_float(load(std::uint16_t{}))), 0, false};
        case dtype::int64: { auto v = load(std::int64_t{}); return {double(v), v, true}; }
        case dtype::int32: { auto v = load(std::int32_t{}); return {double(v), v, true}; }
        case dtype::int16: { auto v = load(std::int16_t{}); return {double(v), v, true}; }
        case dtype::int8: { auto v = load(std::int8_t{}); return {double(v), v, true}; }
        case dtype::uint8: { auto v = load(std::uint8_t{}); return {double(v), v, true}; }
        case dtype::bool_: { auto v = std::int64_t(raw[0] != 0); return {double(v), v, true}; }
    }
    return {0, 0, false};
}

// Visits the storage byte offset of every element of `t`, in row-major order.
template <class F>
void for_each_element_offset(const checkpoint_tensor& t, F&& f) {
    const std::size_t element_size = size_of(t.dtype);
    const std::size_t rank = t.shape.size();
    const std::size_t n = t.numel();
    if (n == 0) return;
    std::vector<std::size_t> index(rank, 0);
    std::size_t offset = t.storage_offset;
    for (std::size_t k = 0; k < n; ++k) {
        f(offset * element_size);
        for (std::size_t d = rank; d-- > 0;) {  // odometer
            if (++index[d] < t.shape[d]) {
                offset += t.strides[d];
                break;
            }
            offset -= (t.shape[d] - 1) * t.strides[d];
            index[d] = 0;
        }
    }
}

// The largest element offset the view reaches, plus one: the storage must hold that many elements.
inline std::size_t elements_needed(const checkpoint_tensor& t) {
    std::size_t last = t.storage_offset;
    for (std::size_t d = 0; d < t.shape.size(); ++d) {
        if (t.shape[d] == 0) return 0;
        last += (t.shape[d] - 1) * t.strides[d];
    }
    return last + 1;
}

// True when an int64 entry can take this value unchanged (integers, and integral floats in range).
inline bool fits_int64(const element& e) {
    return e.is_integer || (std::isfinite(e.real) && std::trunc(e.real) == e.real && e.real >= -9.2e18 &&
                            e.real <= 9.2e18);
}

inline bool all_integral(const checkpoint_tensor& t, bool big_endian) {
    bool integral = true;
    for_each_element_offset(t, [&](std::size_t at) {
        integral = integral && fits_int64(read_element(t.storage.data() + at, t.dtype, big_endian && size_of(t.dtype) > 1));
    });
    return integral;
}

// Copies `t` into `out`, converted to `target` (float32, float64 or int64), row-major.
inline void copy_converted(const checkpoint_tensor& t, dtype target, bool big_endian, std::byte* out) {
    const bool swap = big_endian && size_of(t.dtype) > 1;
    const bool contiguous_rows = [&] {
        std::size_t expected = 1;
        for (std::size_t d = t.shape.size(); d-- > 0;) {
            if (t.shape[d] != 1 && t.strides[d] != expected) return false;
            expected *= t.shape[d];
        }
        return true;
    }();
    if (t.dtype == target && !swap && contiguous_rows) {
        const std::size_t size = size_of(target);
        std::memcpy(out, t.storage.data() + t.storage_offset * size, t.numel() * size);
        return;
    }
    std::size_t k = 0;
    for_each_element_offset(t, [&](std::size_t byte_offset) {
        const element e = read_element(t.storage.data() + byte_offset, t.dtype, swap);
        switch (target) {
            case dtype::float32: {  // from float32 exact; from float64 rounded to nearest, as torch's copy_
                const float value = e.is_integer ? float(e.integer) : float(e.real);
                std::memcpy(out + 4 * k, &value, 4);
                break;
            }
            case dtype::float64: {
                const double value = e.is_integer ? double(e.integer) : e.real;
                std::memcpy(out + 8 * k, &value, 8);
                break;
            }
            default: {  // int64
                const std::int64_t value = e.is_integer ? e.integer : std::int64_t(e.real);
                std::memcpy(out + 8 * k, &value, 8);
                break;
            }
        }
        ++k;
    });
}

}  // namespace typenet::detail
