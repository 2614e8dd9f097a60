// ConvTranspose1d: the transposed 1-d convolution over [C, L] samples, like nn.ConvTranspose1d
// with padding_mode='zeros': the output is (L - 1) * stride - 2 * padding + dilation * (kernel - 1)
// + output_padding + 1 long. It runs as a ConvTranspose2d with a 1 x kernel_size kernel over
// [C, 1, L]: PyTorch's weight [in, out / groups, k] holds its values in the order of
// [in, out / groups, 1, k], so both layers read the same state block.
//
//     using Up = typenet::ConvTranspose1d<8, 4, 4, typenet::stride<2>, typenet::padding<1>>;
//     static_assert(Up::infer({8, 25}).output == typenet::shape{4, 50});
//     static_assert(Up::state[0].shape == typenet::shape{8, 4, 4});
#pragma once

#include <array>
#include <cstddef>
#include <string_view>

#include "../backward.hpp"
#include "../layer.hpp"
#include "../options.hpp"
#include "conv_transpose2d.hpp"

namespace typenet {

template <std::size_t InChannels, std::size_t OutChannels, std::size_t KernelSize, class... Options>
struct ConvTranspose1d {
    static_assert(options_accepted<void(option_kind::stride, option_kind::padding, option_kind::output_padding,
                                        option_kind::groups, option_kind::bias, option_kind::dilation),
                                   Options...>,
                  "ConvTranspose1d takes the options stride<>, padding<>, output_padding<>, groups<>, bias<> and "
                  "dilation<>, each at most once");
    using stride_type = option_t<option_kind::stride, stride<1>, Options...>;
    using padding_type = option_t<option_kind::padding, padding<0>, Options...>;
    using output_padding_type = option_t<option_kind::output_padding, output_padding<0>, Options...>;
    using dilation_type = option_t<option_kind::dilation, dilation<1>, Options...>;
    static_assert(stride_type::h == stride_type::w && padding_type::h == padding_type::w &&
                      output_padding_type::h == output_padding_type::w && dilation_type::h == dilation_type::w,
                  "ConvTranspose1d: stride<>, padding<>, output_padding<> and dilation<> take one size each "
                  "(stride<2>, not stride<1, 2>)");

    static constexpr std::size_t in_channels = InChannels, out_channels = OutChannels;
    static constexpr std::size_t kernel_size = KernelSize;
    static constexpr std::size_t stride_size = stride_type::w, padding_size = padding_type::w;
    static constexpr std::size_t output_padding_size = output_padding_type::w, dilation_size = dilation_type::w;
    static constexpr std::size_t groups = option_t<option_kind::groups, typenet::groups<1>, Options...>::value;
    static constexpr bool has_bias = option_t<option_kind::bias, bias<true>, Options...>::value;
    static_assert(InChannels >= 1 && OutChannels >= 1,
                  "ConvTranspose1d: in_channels and out_channels must be at least 1");
    static_assert(KernelSize >= 1, "ConvTranspose1d: the kernel size must be at least 1");
    static_assert(stride_size >= 1, "ConvTranspose1d: the stride must be at least 1");
    static_assert(dilation_size >= 1, "ConvTranspose1d: the dilation must be at least 1");
    static_assert(groups >= 1, "ConvTranspose1d: groups must be at least 1");
    static_assert(output_padding_size < stride_size || output_padding_size < dilation_size,
                  "ConvTranspose1d: output_padding must be smaller than the stride or the dilation, as PyTorch "
                  "requires");

    // The same layer over [C, 1, L], whose kernel does the work.
    using conv_transpose2d =
        ConvTranspose2d<InChannels, OutChannels, size2{1, KernelSize}, typenet::stride<1, stride_size>,
                        typenet::padding<0, padding_size>, typenet::output_padding<0, output_padding_size>,
                        typenet::groups<groups>, bias<has_bias>, typenet::dilation<1, dilation_size>>;

    static constexpr std::string_view type_name = "ConvTranspose1d";
    static constexpr bool sample_wise = true;
    static constexpr auto state = [] {
        constexpr shape weight{InChannels, OutChannels / groups, KernelSize};
        if constexpr (has_bias)
            return std::array{parameter("weight", weight), parameter("bias", {OutChannels})};
        else
            return std::array{parameter("weight", weight)};
    }();

    static constexpr shape_check infer(shape in) {
        if (in.rank != 2)
            return fail("ConvTranspose1d: takes a per-sample input [C, L] of rank 2 (first number), the input has "
                        "another rank (second number; the batch dimension is not counted). Use ConvTranspose2d "
                        "for images.",
                        2, in.rank);
        if (InChannels % groups)
            return fail("ConvTranspose1d: in_channels (second number) must be divisible by groups (first number).",
                        groups, InChannels);
        if (OutChannels % groups)
            return fail("ConvTranspose1d: out_channels (second number) must be divisible by groups (first number).",
                        groups, OutChannels);
        if (in[0] != InChannels)
            return fail("ConvTranspose1d: in_channels (first number) must equal the channels of its input [C, L] "
                        "(second number), i.e. the out_channels of the layer before it.",
                        InChannels, in[0]);
        const std::size_t full = conv_transpose2d::full_size(in[1], stride_size, dilation_size, KernelSize,
                                                             output_padding_size);
        if (2 * padding_size >= full)
            return fail("ConvTranspose1d: the padding taken off the output's length (first number: 2 * padding) "
                        "leaves nothing of it (second number: (L - 1) * stride + dilation * (kernel - 1) + "
                        "output_padding + 1). Use less padding, or a larger kernel, stride or input.",
                        2 * padding_size, full);
        return {shape{OutChannels, full - 2 * padding_size}};
    }

    static constexpr shape as_2d(shape in) { return shape{in[0], 1, in[1]}; }

    template <class T>
    static constexpr std::size_t scratch_elements(shape in, std::size_t n) {
        return conv_transpose2d::template scratch_elements<T>(as_2d(in), n);
    }

    // [OutChannels, 1, L'] in memory is [OutChannels, L'].
    template <class T, shape In, std::size_t N>
    static void propagate(layer_params<ConvTranspose1d, T> params, const T* in, T* out, T* scratch) {
        conv_transpose2d::template propagate<T, as_2d(In), N>(layer_params<conv_transpose2d, T>{params.base}, in, out,
                                                              scratch);
    }

    // Training (backward.hpp): ConvTranspose2d's over [C, 1, L].
    template <class T>
    static constexpr std::size_t backward_scratch_elements(shape in, std::size_t n) {
        return conv_transpose2d::template backward_scratch_elements<T>(as_2d(in), n);
    }
    template <class T, shape In, std::size_t N>
    static void backward(const backward_pass<ConvTranspose1d, T>& p) {
        conv_transpose2d::template backward<T, as_2d(In), N>(pass_for<conv_transpose2d>(p));
    }
};

}  // namespace typenet
