// MaxPool1d: the maximum of each window over [C, L] samples, like nn.MaxPool1d (stride defaults
// to the kernel size; padding counts as -inf; NaN propagates). return_indices is not supported.
//
//     using P1 = typenet::MaxPool1d<2>;                                   // nn.MaxPool1d(2)
//     using P2 = typenet::MaxPool1d<3, typenet::stride<2>, typenet::padding<1>, typenet::dilation<2>,
//                                   typenet::ceil_mode<true>>;
//     static_assert(P1::infer({16, 9}).output == typenet::shape{16, 4});
//     static_assert(P2::infer({16, 10}).output == typenet::shape{16, 5});
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <limits>
#include <string_view>

#include "../backward.hpp"
#include "../detail/kernels/common.hpp"
#include "../detail/kernels/pooling_backward.hpp"
#include "../detail/kernels/pooling1d.hpp"
#include "../layer.hpp"
#include "../options.hpp"

namespace typenet {

template <std::size_t KernelSize, class... Options>
struct MaxPool1d {
    static_assert(options_accepted<void(option_kind::stride, option_kind::padding, option_kind::dilation,
                                        option_kind::ceil_mode),
                                   Options...>,
                  "MaxPool1d takes the options stride<>, padding<>, dilation<> and ceil_mode<>, each at most once");
    using stride_type = option_t<option_kind::stride, stride<KernelSize>, Options...>;
    using padding_type = option_t<option_kind::padding, padding<0>, Options...>;
    using dilation_type = option_t<option_kind::dilation, dilation<1>, Options...>;
    static_assert(stride_type::h == stride_type::w && padding_type::h == padding_type::w &&
                      dilation_type::h == dilation_type::w,
                  "MaxPool1d: stride<>, padding<> and dilation<> take one size each (stride<2>, not stride<1, 2>)");
    static constexpr std::size_t kernel_size = KernelSize;
    static constexpr std::size_t stride_size = stride_type::w, padding_size = padding_type::w;
    static constexpr std::size_t dilation_size = dilation_type::w;
    static constexpr bool ceil_mode = option_t<option_kind::ceil_mode, typenet::ceil_mode<false>, Options...>::value;
    static_assert(KernelSize >= 1, "MaxPool1d: the kernel size must be at least 1");
    static_assert(stride_size >= 1, "MaxPool1d: the stride must be at least 1");
    static_assert(dilation_size >= 1, "MaxPool1d: the dilation must be at least 1");
    static constexpr std::size_t window = dilation_size * (KernelSize - 1) + 1;

    static constexpr std::string_view type_name = "MaxPool1d";
    static constexpr bool sample_wise = true;
    static constexpr std::array<state_spec, 0> state{};

    static constexpr shape_check infer(shape in) {
        return detail::pool1d_infer(
            in, {KernelSize, window, stride_size, padding_size, ceil_mode},
            {"MaxPool1d: takes a per-sample input [C, L] of rank 2 (first number), the input has another rank "
             "(second number; the batch dimension is not counted). Use MaxPool2d for images.",
             "MaxPool1d: padding (first number) must be at most half of kernel_size (second number), as PyTorch "
             "requires.",
             "MaxPool1d: the window (first number, dilation included) is longer than the padded input (second "
             "number), so the output would be empty. Use a smaller kernel or dilation, more padding, or a longer "
             "input."});
    }

    // Each plane is copied into the middle of a row of -inf as long as every window's reach, so
    // that windows need no bounds tests.
    template <class T, shape In, std::size_t N>
    static void propagate(layer_params<MaxPool1d, T>, const T* in, T* out) {
        constexpr std::size_t L = In[1], OL = infer(In).output[1];
        constexpr std::size_t reach = std::max(L + 2 * padding_size, (OL - 1) * stride_size + window);
        T padded[reach];
        std::fill_n(padded, reach, -std::numeric_limits<T>::infinity());
        for (std::size_t plane = 0; plane < N * In[0]; ++plane) {
            detail::copy_values<L>(in + plane * L, padded + padding_size);
            T* y = out + plane * OL;
            for (std::size_t o = 0; o < OL; ++o) {
                const T* from = padded + o * stride_size;
                T best = from[0];
                for (std::size_t k = 1; k < KernelSize; ++k) best = detail::nan_max(from[k * dilation_size], best);
                y[o] = best;
            }
        }
    }

    // Training (backward.hpp): each output's gradient goes to its window's maximum, as MaxPool2d's
    // (PyTorch computes it as max_pool2d over [C, 1, L] when the input needs a gradient).
    template <class T, shape In, std::size_t N>
    static void backward(const backward_pass<MaxPool1d, T>& p) {
        if (!p.grad_in) return;
        constexpr long long L = In[1];
        detail::max_pool_backward<T, 1, L, 1, (long long)infer(In).output[1]>(
            N * In[0], p.in, p.grad_out, p.grad_in, [](long long, long long o) {
                return detail::strided_max_window(0, o, 1, L, 1, KernelSize, 1, stride_size, 0, padding_size, 1,
                                                  dilation_size);
            });
    }
};

}  // namespace typenet
