// Hardtanh: clamps to [min_val, max_val], like nn.Hardtanh(min_val=-1., max_val=1.); ReLU6 is
// Hardtanh(0, 6), like nn.ReLU6. NaN stays NaN, as PyTorch's clamp.
//
//     using H1 = typenet::Hardtanh<>;            // nn.Hardtanh()
//     using H2 = typenet::Hardtanh<"-2", "3">;   // nn.Hardtanh(-2., 3.)
//     static_assert(H2::min_val == -2 && H2::max_val == 3);
//     static_assert(typenet::ReLU6::type_name == "ReLU6" && typenet::ReLU6::max_val == 6);
//     float six = typenet::ReLU6::apply(7.0f);   // one value (apply also takes a vector of floats)
#pragma once

#include <string_view>

#include "../elementwise.hpp"
#include "../options.hpp"

namespace typenet {

namespace detail {

template <class Self, fixed_string MinVal, fixed_string MaxVal>
struct hardtanh : Elementwise<Self> {
    static constexpr double min_val = typenet::decimal_value<MinVal>;
    static constexpr double max_val = typenet::decimal_value<MaxVal>;
    static_assert(max_val > min_val, "Hardtanh: max_val must be greater than min_val, as PyTorch asserts");

    template <class V>
    [[gnu::always_inline]] static V apply(V x) {
        // Comparisons with NaN are false: NaN passes through both.
        const V low = math::splat<V>(min_val), high = math::splat<V>(max_val);
        return math::select(x < low, low, math::select(x > high, high, x));
    }
    // 0 where x <= min_val or x >= max_val (the ends included), else 1 (NaN too), as PyTorch's
    // hardtanh_backward.
    template <class V>
    [[gnu::always_inline]] static V derivative(V x, V) {
        const V zero = math::splat<V>(0);
        return math::select(x <= math::splat<V>(min_val), zero,
                            math::select(x >= math::splat<V>(max_val), zero, math::splat<V>(1)));
    }
};

}  // namespace detail

template <fixed_string MinVal = "-1.", fixed_string MaxVal = "1.">
struct Hardtanh : detail::hardtanh<Hardtanh<MinVal, MaxVal>, MinVal, MaxVal> {
    static constexpr std::string_view type_name = "Hardtanh";
};

struct ReLU6 : detail::hardtanh<ReLU6, "0", "6"> {
    static constexpr std::string_view type_name = "ReLU6";
};

}  // namespace typenet
