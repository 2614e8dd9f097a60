// Conv1d: 1-d cross-correlation over [C, L] samples, like nn.Conv1d with padding_mode='zeros'.
// It runs as a Conv2d with a 1 x kernel_size kernel over [C, 1, L]: PyTorch's weight
// [out, in / groups, k] holds its values in the order of [out, in / groups, 1, k], so both layers
// read the same state block.
//
//     using C1 = typenet::Conv1d<8, 16, 3, typenet::padding<1>>;   // nn.Conv1d(8, 16, 3, padding=1)
//     using C2 = typenet::Conv1d<8, 16, 5, typenet::stride<2>, typenet::dilation<2>, typenet::groups<4>,
//                                typenet::bias<false>>;
//     static_assert(C1::infer({8, 50}).output == typenet::shape{16, 50});
//     static_assert(C2::infer({8, 50}).output == typenet::shape{16, 21});
//     static_assert(C2::state[0].shape == typenet::shape{16, 2, 5});
//
// In a Stream (stream.hpp) a Conv1d with padding 0 and stride 1 runs one time step [C] at a time,
// causally: its state holds the last (K - 1) * dilation inputs.
#pragma once

#include <array>
#include <cstddef>
#include <string_view>

#include "../detail/kernels/gemm.hpp"
#include "../layer.hpp"
#include "../options.hpp"
#include "conv2d.hpp"

namespace typenet {

template <std::size_t InChannels, std::size_t OutChannels, std::size_t KernelSize, class... Options>
struct Conv1d {
    static_assert(options_accepted<void(option_kind::stride, option_kind::padding, option_kind::dilation,
                                        option_kind::groups, option_kind::bias),
                                   Options...>,
                  "Conv1d takes the options stride<>, padding<>, dilation<>, groups<> and bias<>, each at most once");
    using stride_type = option_t<option_kind::stride, stride<1>, Options...>;
    using padding_type = option_t<option_kind::padding, padding<0>, Options...>;
    using dilation_type = option_t<option_kind::dilation, dilation<1>, Options...>;
    static_assert(stride_type::h == stride_type::w && padding_type::h == padding_type::w &&
                      dilation_type::h == dilation_type::w,
                  "Conv1d: stride<>, padding<> and dilation<> take one size each (stride<2>, not stride<1, 2>)");

    static constexpr std::size_t in_channels = InChannels, out_channels = OutChannels;
    static constexpr std::size_t kernel_size = KernelSize;
    static constexpr std::size_t stride_size = stride_type::w, padding_size = padding_type::w;
    static constexpr std::size_t dilation_size = dilation_type::w;
    static constexpr std::size_t groups = option_t<option_kind::groups, typenet::groups<1>, Options...>::value;
    static constexpr bool has_bias = option_t<option_kind::bias, bias<true>, Options...>::value;
    static_assert(InChannels >= 1 && OutChannels >= 1, "Conv1d: in_channels and out_channels must be at least 1");
    static_assert(KernelSize >= 1, "Conv1d: the kernel size must be at least 1");
    static_assert(stride_size >= 1, "Conv1d: the stride must be at least 1");
    static_assert(dilation_size >= 1, "Conv1d: the dilation must be at least 1");
    static_assert(groups >= 1, "Conv1d: groups must be at least 1");

    // Dilation included: the extent of the input one output value sees.
    static constexpr std::size_t window = dilation_size * (KernelSize - 1) + 1;

    // The same convolution over [C, 1, L], whose kernel does the work.
    using conv2d = Conv2d<InChannels, OutChannels, size2{1, KernelSize}, typenet::stride<1, stride_size>,
                          typenet::padding<0, padding_size>, typenet::dilation<1, dilation_size>, typenet::groups<groups>,
                          bias<has_bias>>;

    static constexpr std::string_view type_name = "Conv1d";
    static constexpr bool sample_wise = true;
    static constexpr auto state = [] {
        constexpr shape weight{OutChannels, InChannels / groups, KernelSize};
        if constexpr (has_bias)
            return std::array{parameter("weight", weight), parameter("bias", {OutChannels})};
        else
            return std::array{parameter("weight", weight)};
    }();

    static constexpr shape_check infer(shape in) {
        if (in.rank != 2)
            return fail("Conv1d: takes a per-sample input [C, L] of rank 2 (first number), the input has another "
                        "rank (second number; the batch dimension is not counted). Use Conv2d for images.",
                        2, in.rank);
        if (InChannels % groups)
            return fail("Conv1d: in_channels (second number) must be divisible by groups (first number).", groups,
                        InChannels);
        if (OutChannels % groups)
            return fail("Conv1d: out_channels (second number) must be divisible by groups (first number).", groups,
                        OutChannels);
        if (in[0] != InChannels)
            return fail("Conv1d: in_channels (first number) must equal the channels of its input [C, L] (second "
                        "number), i.e. the out_channels of the layer before it.",
                        InChannels, in[0]);
        if (window > in[1] + 2 * padding_size)
            return fail("Conv1d: the kernel's length (first number, dilation included) is larger than the padded "
                        "input's length (second number), so the output would be empty. Use a smaller kernel or "
                        "dilation, more padding, or a longer input.",
                        window, in[1] + 2 * padding_size);
        return {shape{OutChannels, (in[1] + 2 * padding_size - window) / stride_size + 1}};
    }

    static constexpr shape as_2d(shape in) { return shape{in[0], 1, in[1]}; }

    template <class T>
    static constexpr std::size_t scratch_elements(shape in, std::size_t n) {
        return conv2d::template scratch_elements<T>(as_2d(in), n);
    }

    // [OutChannels, 1, L'] in memory is [OutChannels, L'].
    template <class T, shape In, std::size_t N>
    static void propagate(layer_params<Conv1d, T> params, const T* in, T* out, T* scratch) {
        conv2d::template propagate<T, as_2d(In), N>(layer_params<conv2d, T>{params.base}, in, out, scratch);
    }

    // Training (backward.hpp): Conv2d's over [C, 1, L].
    template <class T>
    static constexpr std::size_t backward_scratch_elements(shape in, std::size_t n) {
        return conv2d::template backward_scratch_elements<T>(as_2d(in), n);
    }
    template <class T, shape In, std::size_t N>
    static void backward(const backward_pass<Conv1d, T>& p) {
        conv2d::template backward<T, as_2d(In), N>(pass_for<conv2d>(p));
    }

    // Like Conv2d, a BatchNorm1d on running statistics and an activation after it run in its
    // store of each output channel (detail/fusion.hpp).
    static constexpr bool channel_epilogue = true;
    template <class T>
    static const T* bias_of(layer_params<Conv1d, T> params) {
        return conv2d::bias_of(layer_params<conv2d, T>{params.base});
    }
    template <class T, shape In, std::size_t N, class Post>
    static void propagate_with(layer_params<Conv1d, T> params, const Post& post, const T* in, T* out, T* scratch) {
        conv2d::template propagate_with<T, as_2d(In), N>(layer_params<conv2d, T>{params.base}, post, in, out, scratch);
    }

    // Streaming (stream.hpp): a causal convolution, one time step [C] at a time. The state holds
    // the last `history` inputs, oldest first; zero at the start, as if the sequence were padded on
    // the left with (K - 1) * dilation zeros: the whole-sequence twin is
    // Sequential<ConstantPad1d<(K - 1) * dilation, 0>, Conv1d<...>> (PyTorch:
    // nn.ConstantPad1d(((k - 1) * d, 0), 0.) then nn.Conv1d with padding 0).
    static constexpr std::size_t history = (KernelSize - 1) * dilation_size;

    static constexpr shape_check step_infer(shape step_in) {
        if (padding_size != 0)
            return fail("Conv1d: steps only with padding 0 (first number; second: its padding). A step sees no "
                        "future input: pad the past with ConstantPad1d<(K - 1) * dilation, 0> before it in the "
                        "whole-sequence model (a causal convolution) and give the Conv1d padding<0>.",
                        0, padding_size);
        if (stride_size != 1)
            return fail("Conv1d: steps only with stride 1 (first number; second: its stride): a strided "
                        "convolution gives fewer outputs than inputs.",
                        1, stride_size);
        if (step_in.rank != 1)
            return fail("Conv1d: one time step of its [C, L] input is [C], of rank 1 (first number; second: the "
                        "step's rank).",
                        1, step_in.rank);
        const shape_check whole = infer(shape{step_in[0], window});
        if (!whole.ok()) return whole;
        return {shape{OutChannels}};
    }

    template <class T, shape StepIn>
    static constexpr std::size_t step_state_size() {
        return history * InChannels;
    }

    template <class T, shape StepIn>
    static void step(layer_params<Conv1d, T> params, T* state, const T* in, T* out) {
        constexpr std::size_t C = InChannels, per_group = InChannels / groups, outs_per_group = OutChannels / groups;
        constexpr std::size_t taps = per_group * KernelSize;
        const T* weight = params.template get<0>();  // [out][in / groups][k]
        const T* bias = nullptr;
        if constexpr (has_bias) bias = params.template get<1>();
        for (std::size_t g = 0; g < groups; ++g) {
            // The group's window laid out as its weights, [in / groups][k]: tap j reads the input
            // (K - 1 - j) * dilation steps back (state step j * dilation), the last tap the current
            // input. Each output is then one dot product with its weights' row.
            alignas(state_alignment) T window[taps];
            for (std::size_t c = 0; c < per_group; ++c) {
                for (std::size_t j = 0; j + 1 < KernelSize; ++j)
                    window[c * KernelSize + j] = state[j * dilation_size * C + g * per_group + c];
                window[c * KernelSize + KernelSize - 1] = in[g * per_group + c];
            }
            detail::dot_rows<T, 1, outs_per_group, taps>::run(window, weight + g * outs_per_group * taps,
                                                               out + g * outs_per_group,
                                                               has_bias ? bias + g * outs_per_group : nullptr);
        }
        if constexpr (history > 0) {
            for (std::size_t i = 0; i + C < history * C; ++i) state[i] = state[i + C];
            for (std::size_t c = 0; c < C; ++c) state[(history - 1) * C + c] = in[c];
        }
    }
};

}  // namespace typenet
