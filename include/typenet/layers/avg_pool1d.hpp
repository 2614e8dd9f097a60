// AvgPool1d: the mean of each window over [C, L] samples, like nn.AvgPool1d (stride defaults to
// the kernel size). PyTorch computes it as avg_pool2d with a 1 x kernel_size window over
// [C, 1, L], and so does this layer, with AvgPool2d's kernel.
//
//     using P1 = typenet::AvgPool1d<2>;                                   // nn.AvgPool1d(2)
//     using P2 = typenet::AvgPool1d<3, typenet::stride<2>, typenet::padding<1>, typenet::ceil_mode<true>,
//                                   typenet::count_include_pad<false>>;
//     static_assert(P1::infer({16, 9}).output == typenet::shape{16, 4});
//     static_assert(P2::infer({16, 10}).output == typenet::shape{16, 6});
#pragma once

#include <array>
#include <cstddef>
#include <string_view>

#include "../detail/kernels/pooling1d.hpp"
#include "../layer.hpp"
#include "../options.hpp"
#include "avg_pool2d.hpp"

namespace typenet {

template <std::size_t KernelSize, class... Options>
struct AvgPool1d {
    static_assert(options_accepted<void(option_kind::stride, option_kind::padding, option_kind::ceil_mode,
                                        option_kind::count_include_pad),
                                   Options...>,
                  "AvgPool1d takes the options stride<>, padding<>, ceil_mode<> and count_include_pad<>, each at "
                  "most once (PyTorch's AvgPool1d has no divisor_override)");
    using stride_type = option_t<option_kind::stride, stride<KernelSize>, Options...>;
    using padding_type = option_t<option_kind::padding, padding<0>, Options...>;
    static_assert(stride_type::h == stride_type::w && padding_type::h == padding_type::w,
                  "AvgPool1d: stride<> and padding<> take one size each (stride<2>, not stride<1, 2>)");
    static constexpr std::size_t kernel_size = KernelSize;
    static constexpr std::size_t stride_size = stride_type::w, padding_size = padding_type::w;
    static constexpr bool ceil_mode = option_t<option_kind::ceil_mode, typenet::ceil_mode<false>, Options...>::value;
    static constexpr bool count_include_pad =
        option_t<option_kind::count_include_pad, typenet::count_include_pad<true>, Options...>::value;
    static_assert(KernelSize >= 1, "AvgPool1d: the kernel size must be at least 1");
    static_assert(stride_size >= 1, "AvgPool1d: the stride must be at least 1");

    using avg_pool2d = AvgPool2d<size2{1, KernelSize}, typenet::stride<1, stride_size>, typenet::padding<0, padding_size>,
                                 typenet::ceil_mode<ceil_mode>, typenet::count_include_pad<count_include_pad>>;

    static constexpr std::string_view type_name = "AvgPool1d";
    static constexpr bool sample_wise = true;
    static constexpr std::array<state_spec, 0> state{};

    static constexpr shape_check infer(shape in) {
        return detail::pool1d_infer(
            in, {KernelSize, KernelSize, stride_size, padding_size, ceil_mode},
            {"AvgPool1d: takes a per-sample input [C, L] of rank 2 (first number), the input has another rank "
             "(second number; the batch dimension is not counted). Use AvgPool2d for images.",
             "AvgPool1d: padding (first number) must be at most half of kernel_size (second number), as PyTorch "
             "requires.",
             "AvgPool1d: the window (first number) is longer than the padded input (second number), so the output "
             "would be empty. Use a smaller kernel, more padding, or a longer input."});
    }

    template <class T, shape In, std::size_t N>
    static void propagate(layer_params<AvgPool1d, T>, const T* in, T* out) {
        avg_pool2d::template propagate<T, detail::as_image(In), N>({nullptr}, in, out);
    }
    // Training (backward.hpp): the 2-d layer's backward pass over [C, 1, L].
    template <class T, shape In, std::size_t N>
    static void backward(const backward_pass<AvgPool1d, T>& p) {
        avg_pool2d::template backward<T, detail::as_image(In), N>(
            {{nullptr}, {}, p.in, p.out, p.grad_out, p.grad_in, p.saved, p.scratch, p.training});
    }
};

}  // namespace typenet
