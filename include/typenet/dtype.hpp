// dtype: the element types a state_dict entry or a checkpoint tensor can have.
//
//     static_assert(typenet::dtype_of<float> == typenet::dtype::float32);
//     static_assert(typenet::size_of(typenet::dtype::bfloat16) == 2);
//     static_assert(typenet::torch_name(typenet::dtype::int64) == "torch.int64");
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace typenet {

enum class dtype : unsigned char {
    float32, float64, float16, bfloat16, int64, int32, int16, int8, uint8, bool_
};

inline constexpr dtype all_dtypes[] = {dtype::float32, dtype::float64, dtype::float16, dtype::bfloat16,
                                       dtype::int64,   dtype::int32,   dtype::int16,   dtype::int8,
                                       dtype::uint8,   dtype::bool_};

constexpr std::size_t size_of(dtype t) {
    switch (t) {
        case dtype::float64: case dtype::int64: return 8;
        case dtype::float32: case dtype::int32: return 4;
        case dtype::float16: case dtype::bfloat16: case dtype::int16: return 2;
        case dtype::int8: case dtype::uint8: case dtype::bool_: return 1;
    }
    return 0;
}

constexpr bool is_floating(dtype t) {
    return t == dtype::float32 || t == dtype::float64 || t == dtype::float16 || t == dtype::bfloat16;
}

// The name torch prints: torch.float32, torch.int64, ...
constexpr std::string_view torch_name(dtype t) {
    switch (t) {
        case dtype::float32: return "torch.float32";
        case dtype::float64: return "torch.float64";
        case dtype::float16: return "torch.float16";
        case dtype::bfloat16: return "torch.bfloat16";
        case dtype::int64: return "torch.int64";
        case dtype::int32: return "torch.int32";
        case dtype::int16: return "torch.int16";
        case dtype::int8: return "torch.int8";
        case dtype::uint8: return "torch.uint8";
        case dtype::bool_: return "torch.bool";
    }
    return "?";
}

// The short name without "torch.": float32, int64, ...
constexpr std::string_view name(dtype t) { return torch_name(t).substr(6); }

template <class T> inline constexpr bool has_dtype = false;
template <class T> inline constexpr dtype dtype_of = dtype::float32;  // only meaningful where has_dtype<T>
#define TYPENET_DTYPE_OF(T, D) \
    template <> inline constexpr bool has_dtype<T> = true; \
    template <> inline constexpr dtype dtype_of<T> = dtype::D;
TYPENET_DTYPE_OF(float, float32)
TYPENET_DTYPE_OF(double, float64)
TYPENET_DTYPE_OF(std::int64_t, int64)
TYPENET_DTYPE_OF(std::int32_t, int32)
TYPENET_DTYPE_OF(std::int16_t, int16)
TYPENET_DTYPE_OF(std::int8_t, int8)
TYPENET_DTYPE_OF(std::uint8_t, uint8)
TYPENET_DTYPE_OF(bool, bool_)
#undef TYPENET_DTYPE_OF

}  // namespace typenet
