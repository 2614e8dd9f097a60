// Linear: y = x W^T + b, applied to the last dimension, like nn.Linear.
//
//     using Fc = typenet::Linear<2048, 256>;                        // nn.Linear(2048, 256)
//     using Head = typenet::Linear<256, 10, typenet::bias<false>>;  // nn.Linear(256, 10, bias=False)
//     static_assert(typenet::Linear<4, 3>::infer({5, 4}).output == typenet::shape{5, 3});
#pragma once

#include <array>
#include <cstddef>
#include <string_view>
#include <type_traits>

#include "../backward.hpp"
#include "../detail/kernels/gemm.hpp"
#include "../detail/kernels/gradients.hpp"
#include "../detail/kernels/common.hpp"
#include "../detail/kernels/simd.hpp"
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
    static constexpr bool stepwise = true;  // acts on each step's features alone (stream.hpp)
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

    // Rows of in_features values in a batch of n samples of shape `in`.
    static constexpr std::size_t rows(shape in, std::size_t n) { return n * in.numel() / InFeatures; }
    // Few rows: dot products, reading the weights once per row (memory-bound anyway). Many rows:
    // one product of the weights with the transposed input, vectorised along the rows.
    template <class T>
    static constexpr bool by_rows(shape in, std::size_t n) {
        return rows(in, n) < detail::simd<T>::lanes / 2;
    }

    template <class T>
    static constexpr std::size_t scratch_elements(shape in, std::size_t n) {
        if (by_rows<T>(in, n)) return 0;
        const std::size_t padded = detail::round_up(rows(in, n), detail::simd<T>::lanes);
        return (InFeatures + OutFeatures) * padded;
    }

    template <class T, shape In, std::size_t N>
    static void propagate(layer_params<Linear, T> params, const T* in, T* out, T* scratch) {
        propagate_with<T, In, N, void>(params, in, out, scratch);
    }

    // Linear layers in a row run as one step, and an elementwise layer after one (Act, or void)
    // is applied as the results are stored (detail/fusion.hpp).
    static constexpr bool linear_chain_member = true;

    template <class T, shape In, std::size_t N, class Act>
    static void propagate_with(layer_params<Linear, T> params, const T* in, T* out, T* scratch) {
        constexpr std::size_t R = rows(In, N);
        const T* weight = params.template get<0>();
        const T* bias_values = nullptr;
        if constexpr (has_bias) bias_values = params.template get<1>();
        if constexpr (by_rows<T>(In, N)) {
            detail::dot_rows<T, R, OutFeatures, InFeatures>::run(in, weight, out, bias_values);
            if constexpr (!std::is_void_v<Act>) Act::template apply_to<T, R * OutFeatures>(out, out);
        } else {
            constexpr std::size_t padded = detail::round_up(R, detail::simd<T>::lanes);
            T* transposed = scratch;                          // [in_features][padded rows]
            T* product = scratch + InFeatures * padded;       // [out_features][padded rows]
            detail::to_columns<T, R, InFeatures, padded>(in, transposed);
            propagate_transposed<T, padded, Act>(params, transposed, product);
            detail::from_columns<T, OutFeatures, padded>(product, out, R);
        }
    }

    // Training (backward.hpp): for R rows x, dL/dx = dL/dy W, dL/dW += (dL/dy)^T x, dL/db += the
    // column sums of dL/dy.
    template <class T>
    static constexpr std::size_t backward_scratch_elements(shape in, std::size_t n) {
        return rows(in, n) * OutFeatures;
    }
    template <class T, shape In, std::size_t N>
    static void backward(const backward_pass<Linear, T>& p) {
        constexpr std::size_t R = rows(In, N);
        if (p.grads) {
            detail::add_transposed_product<T, R, OutFeatures, InFeatures>(p.grad_out, p.in, p.grads.template get<0>(),
                                                                         p.scratch);
            if constexpr (has_bias) detail::add_column_sums<T, R, OutFeatures>(p.grad_out, p.grads.template get<1>());
        }
        if (p.grad_in) detail::product<T, R, InFeatures, OutFeatures, false>(p.grad_out, p.params.template get<0>(), p.grad_in);
    }

    // The product on inputs kept transposed, [in_features][Rows], giving [out_features][Rows]: what a
    // chain of Linear layers passes from one to the next (fusion.hpp), transposing only at its ends.
    template <class T, std::size_t Rows, class Act>
    static void propagate_transposed(layer_params<Linear, T> params, const T* in, T* out) {
        const T* bias_values = nullptr;
        if constexpr (has_bias) bias_values = params.template get<1>();
        detail::gemm<T, OutFeatures, Rows, InFeatures>::template run<Act>(params.template get<0>(), in, out, bias_values);
    }
};

}  // namespace typenet
