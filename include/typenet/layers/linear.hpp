// Linear: y = x W^T + b, applied to the last dimension, like nn.Linear.
//
//     using Fc = typenet::Linear<2048, 256>;                        // nn.Linear(2048, 256)
//     using Head = typenet::Linear<256, 10, typenet::bias<false>>;  // nn.Linear(256, 10, bias=False)
//     static_assert(typenet::Linear<4, 3>::infer({5, 4}).output == typenet::shape{5, 3});
#pragma once

#include <array>
#include <cstddef>
#include <string_view>

#include "../layer.hpp"
#include "../options.hpp"

namespace typenet {

template <std::size_t InFeatures, std::size_t OutFeatures, class... Options>
struct Linear {
    static_assert(InFeatures >= 1 && OutFeatures >= 1, "Linear: in_features and out_features must be at least 1");
    static_assert(options_accepted<void(option_kind::bias), Options...>,
                  "Linear takes one option, bias<bool>; each at most once");

    static constexpr std::size_t in_features = InFeatures;
    static constexpr std::size_t out_features = OutFeatures;
    static constexpr bool has_bias = option_t<option_kind::bias, bias<true>, Options...>::value;

    static constexpr std::string_view type_name = "Linear";
    static constexpr auto state = [] {
        if constexpr (has_bias)
            return std::array{parameter("weight", {OutFeatures, InFeatures}), parameter("bias", {OutFeatures})};
        else
            return std::array{parameter("weight", {OutFeatures, InFeatures})};
    }();

    static constexpr shape_check infer(shape in) {
        if (in.back() != InFeatures) return fail(shape_error::rule::in_features, InFeatures, in.back());
        shape out = in;
        out.dims[out.rank - 1] = OutFeatures;
        return {out};
    }

    // Reference kernel: one dot product per output.
    template <class T, shape In, std::size_t N>
    static void propagate(layer_params<Linear, T> params, const T* in, T* out) {
        constexpr std::size_t rows = N * In.numel() / InFeatures;
        const T* weight = params.template get<0>();
        for (std::size_t r = 0; r < rows; ++r) {
            const T* x = in + r * InFeatures;
            for (std::size_t o = 0; o < OutFeatures; ++o) {
                const T* w = weight + o * InFeatures;
                T sum = 0;
                for (std::size_t i = 0; i < InFeatures; ++i) sum += x[i] * w[i];
                if constexpr (has_bias) sum += params.template get<1>()[o];
                out[r * OutFeatures + o] = sum;
            }
        }
    }
};

}  // namespace typenet
