// Upsample: resizes [C, H, W] (or [C, L]) samples, like nn.Upsample in modes 'nearest',
// 'bilinear' ([C, H, W]) and 'linear' ([C, L]), with align_corners; and nn.UpsamplingNearest2d,
// nn.UpsamplingBilinear2d (align_corners=True), which PyTorch defines as Upsample in those modes.
// Exactly one of output_size<...> (PyTorch's `size`, renamed so that it cannot hide std::size)
// and scale_factor<...> is given, as in PyTorch; a single value applies to every spatial dimension. The output size is floor(in * scale_factor). Source positions follow
// PyTorch 1.13's CPU kernels to the bit: with a scale_factor (and recompute_scale_factor not true)
// the scale is 1 / scale_factor, otherwise in / out, or (in - 1) / (out - 1) with align_corners;
// nearest takes floor(out_index * scale) in the model's scalar type, rounded through float, except
// with one channel on [C, H, W], where PyTorch runs its channels-last kernel (float, and exact
// copies when a size is kept or doubled).
// Modes 'bicubic', 'trilinear', 'area' and 'nearest-exact' are not supported.
//
//     using U1 = typenet::Upsample<typenet::scale_factor<"2">>;                  // nn.Upsample(scale_factor=2)
//     using U2 = typenet::Upsample<typenet::output_size<7, 9>, typenet::mode<"bilinear">, typenet::align_corners<true>>;
//     using U3 = typenet::Upsample<typenet::scale_factor<"1.5", "0.5">, typenet::mode<"bilinear">>;
//     using U4 = typenet::UpsamplingBilinear2d<typenet::scale_factor<"2">>;      // align_corners=True
//     static_assert(U1::infer({3, 4, 5}).output == typenet::shape{3, 8, 10});
//     static_assert(U2::infer({3, 4, 5}).output == typenet::shape{3, 7, 9});
//     static_assert(U3::infer({3, 5, 5}).output == typenet::shape{3, 7, 2});
//     static_assert(typenet::Upsample<typenet::scale_factor<"2.5">, typenet::mode<"linear">>::infer({4, 3}).output ==
//                   typenet::shape{4, 7});
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <string_view>

#include "../backward.hpp"
#include "../detail/fixed_string.hpp"
#include "../layer.hpp"
#include "../options.hpp"

namespace typenet {

namespace option_kind {
struct output_size {};
struct scale_factor {};
struct mode {};
struct align_corners {};
struct recompute_scale_factor {};
}  // namespace option_kind

namespace detail {
template <class Kind, std::size_t... Sizes>
struct sizes_option {
    using option_kind = Kind;
    static_assert(sizeof...(Sizes) == 1 || sizeof...(Sizes) == 2,
                  "output_size<...>: give one output size for every spatial dimension (output_size<7>) or one per dimension "
                  "(output_size<7, 9>)");
    static_assert(((Sizes >= 1) && ...), "output_size<...>: output sizes must be at least 1");
    static constexpr std::array<std::size_t, sizeof...(Sizes)> values{Sizes...};
};
template <class Kind, fixed_string... Factors>
struct factors_option {
    using option_kind = Kind;
    static_assert(sizeof...(Factors) == 1 || sizeof...(Factors) == 2,
                  "scale_factor<...>: give one factor for every spatial dimension (scale_factor<\"2\">) or one per "
                  "dimension (scale_factor<\"2\", \"1.5\">)");
    static constexpr std::array<double, sizeof...(Factors)> values{typenet::decimal_value<Factors>...};
    static_assert(((typenet::decimal_value<Factors> > 0) && ...), "scale_factor<...>: factors must be greater than 0");
};
template <class Kind, fixed_string Text>
struct text_option {
    using option_kind = Kind;
    static constexpr std::string_view value = Text.view();
};
}  // namespace detail

// Upsample's options, spelled as nn.Upsample's keyword arguments.
template <std::size_t... Sizes> struct output_size : detail::sizes_option<option_kind::output_size, Sizes...> {};
template <fixed_string... Factors> struct scale_factor : detail::factors_option<option_kind::scale_factor, Factors...> {};
template <fixed_string Mode> struct mode : detail::text_option<option_kind::mode, Mode> {};
template <bool B> struct align_corners : value_option<option_kind::align_corners, B> {};
template <bool B> struct recompute_scale_factor : value_option<option_kind::recompute_scale_factor, B> {};

namespace detail {

enum class upsample_mode { nearest, linear, bilinear, unsupported };
constexpr upsample_mode upsample_mode_of(std::string_view name) {
    if (name == "nearest") return upsample_mode::nearest;
    if (name == "linear") return upsample_mode::linear;
    if (name == "bilinear") return upsample_mode::bilinear;
    return upsample_mode::unsupported;
}

// "Name" + ": " + Text, as a message for fail(): the layer's own name in its shape errors.
template <fixed_string Name, fixed_string Text>
inline constexpr auto named_message = [] {
    std::array<char, Name.size() + 2 + Text.size()> text{};
    std::size_t i = 0;
    for (char c : Name.view()) text[i++] = c;
    text[i++] = ':';
    text[i++] = ' ';
    for (char c : Text.view()) text[i++] = c;
    return text;
}();
template <fixed_string Name, fixed_string Text>
constexpr std::string_view message_of() {
    return {named_message<Name, Text>.data(), named_message<Name, Text>.size()};
}

// Where output position i of one spatial dimension reads: one input position (nearest), or two
// with their weights (linear).
template <class T, std::size_t Out>
struct linear_axis {
    std::array<std::size_t, Out> first{}, second{};
    std::array<T, Out> first_weight{}, second_weight{};
};

// PyTorch's area_pixel_compute_scale, in the model's scalar type as PyTorch's opmath is. `factor`
// is 0 when the scale comes from the sizes.
template <class T>
constexpr T source_scale(std::size_t in, std::size_t out, bool align_corners, double factor) {
    if (align_corners) return out > 1 ? T(in - 1) / T(out - 1) : T(0);
    if (factor > 0) return T(1.0 / factor);
    return T(in) / T(out);
}

// upsample_nearest's generic CPU kernel: floor(i * scale) in T, except that for double the
// product goes through floorf, hence float; clamped to the last input.
template <class T, std::size_t In, std::size_t Out>
constexpr std::array<std::size_t, Out> nearest_axis(double factor) {
    std::array<std::size_t, Out> index{};
    const T scale = source_scale<T>(In, Out, false, factor);
    for (std::size_t i = 0; i < Out; ++i) {
        const float position = float(scale * T(i));
        index[i] = std::min(std::size_t(position), In - 1);  // position >= 0: the cast floors
    }
    return index;
}

// The channels-last kernel's nearest_idx, which PyTorch runs when an NCHW input is also
// channels-last contiguous (one channel): the scale in float for every dtype, and exact copies
// for sizes kept or doubled.
template <std::size_t In, std::size_t Out>
constexpr std::array<std::size_t, Out> nearest_idx_axis(double factor) {
    std::array<std::size_t, Out> index = nearest_axis<float, In, Out>(factor);
    if (Out == In || Out == 2 * In)
        for (std::size_t i = 0; i < Out; ++i) index[i] = Out == In ? i : i / 2;
    return index;
}

// compute_source_index_and_lambda of PyTorch's linear modes.
template <class T, std::size_t In, std::size_t Out>
constexpr linear_axis<T, Out> linear_axis_of(bool align_corners, double factor) {
    linear_axis<T, Out> axis;
    const T scale = source_scale<T>(In, Out, align_corners, factor);
    for (std::size_t i = 0; i < Out; ++i) {
        if (In == Out) {
            axis.first[i] = axis.second[i] = i;
            axis.first_weight[i] = T(1);
            axis.second_weight[i] = T(0);
            continue;
        }
        // As PyTorch: scale * (i + 0.5) - 0.5 is computed in double (0.5 is a double), then stored in T.
        T position = align_corners ? T(scale * T(i)) : T(double(scale) * (double(i) + 0.5) - 0.5);
        if (position < T(0)) position = T(0);
        const std::size_t first = std::min(std::size_t(position), In - 1);
        axis.first[i] = first;
        axis.second[i] = first + (first < In - 1 ? 1 : 0);
        const T fraction = std::min(std::max(position - T(first), T(0)), T(1));
        axis.second_weight[i] = fraction;
        axis.first_weight[i] = T(1) - fraction;
    }
    return axis;
}

// The layer, for Upsample and its aliases (Self names the layer's type for layer_params).
template <class Self, fixed_string Name, class... Options>
struct upsample_layer {
    static constexpr bool has_size = count_of_kind<option_kind::output_size, Options...> == 1;
    static constexpr bool has_scale_factor = count_of_kind<option_kind::scale_factor, Options...> == 1;
    static constexpr std::string_view mode_name =
        option_t<option_kind::mode, text_option<option_kind::mode, "nearest">, Options...>::value;
    static constexpr upsample_mode interpolation = upsample_mode_of(mode_name);
    static constexpr bool align_corners_given = count_of_kind<option_kind::align_corners, Options...> == 1;
    static constexpr bool align_corners =
        option_t<option_kind::align_corners, typenet::align_corners<false>, Options...>::value;
    static constexpr bool recompute_scale_factor =
        option_t<option_kind::recompute_scale_factor, typenet::recompute_scale_factor<false>, Options...>::value;
    static_assert(has_size != has_scale_factor,
                  "Upsample: give exactly one of output_size<...> and scale_factor<...>, as PyTorch requires");
    static_assert(interpolation != upsample_mode::unsupported,
                  "Upsample: mode<...> takes \"nearest\", \"linear\" or \"bilinear\" (typenet does not support "
                  "\"bicubic\", \"trilinear\", \"area\" nor \"nearest-exact\")");
    static_assert(!(align_corners_given && interpolation == upsample_mode::nearest),
                  "Upsample: align_corners can only be given with the interpolating modes \"linear\" and "
                  "\"bilinear\", as in PyTorch");
    static_assert(!(recompute_scale_factor && has_size),
                  "Upsample: recompute_scale_factor is not meaningful with an explicit size, as in PyTorch");

    using size_type = option_t<option_kind::output_size, sizes_option<option_kind::output_size, 1>, Options...>;
    using scale_factor_type = option_t<option_kind::scale_factor, factors_option<option_kind::scale_factor, "1">, Options...>;
    static constexpr std::size_t given_values = has_size ? size_type::values.size() : scale_factor_type::values.size();

    static constexpr std::string_view type_name = Name.view();
    static constexpr bool sample_wise = true;
    static constexpr std::array<state_spec, 0> state{};

    // The factor PyTorch's kernel sees for spatial dimension d (0 when the scale comes from the sizes).
    static constexpr double kernel_factor(std::size_t d) {
        if (!has_scale_factor || recompute_scale_factor) return 0;
        return scale_factor_type::values[given_values == 1 ? 0 : d];
    }
    static constexpr std::size_t output_length(std::size_t in, std::size_t d) {
        if constexpr (has_size)
            return size_type::values[given_values == 1 ? 0 : d];
        else  // PyTorch: floor(float(in) * scale_factor), in double
            return std::size_t(double(in) * scale_factor_type::values[given_values == 1 ? 0 : d]);
    }

    static constexpr shape_check infer(shape in) {
        if (interpolation == upsample_mode::bilinear && in.rank != 3)
            return fail(message_of<Name, "mode \"bilinear\" takes a per-sample input [C, H, W] of rank 3 (first "
                                         "number), the input has another rank (second number; the batch dimension "
                                         "is not counted). Use mode \"linear\" for [C, L].">(),
                        3, in.rank);
        if (interpolation == upsample_mode::linear && in.rank != 2)
            return fail(message_of<Name, "mode \"linear\" takes a per-sample input [C, L] of rank 2 (first number), "
                                         "the input has another rank (second number; the batch dimension is not "
                                         "counted). Use mode \"bilinear\" for [C, H, W].">(),
                        2, in.rank);
        if (in.rank != 2 && in.rank != 3)
            return fail(message_of<Name, "mode \"nearest\" takes a per-sample input [C, L] or [C, H, W] of rank 2 "
                                         "or 3 (first number: 3), the input has another rank (second number; the "
                                         "batch dimension is not counted).">(),
                        3, in.rank);
        if (given_values != 1 && given_values != in.rank - 1)
            return fail(message_of<Name, "output_size<...> or scale_factor<...> gives a number of values (first number) "
                                         "other than the input's spatial dimensions (second number). Give one value "
                                         "for all of them, or one per dimension.">(),
                        given_values, in.rank - 1);
        shape out = in;
        for (std::size_t d = 0; d + 1 < in.rank; ++d) {
            out.dims[d + 1] = output_length(in[d + 1], d);
            if (out.dims[d + 1] == 0)
                return fail(message_of<Name, "the scale factor makes an output size of 0 (first number) from an "
                                             "input size (second number). Use a larger factor or input.">(),
                            0, in[d + 1]);
        }
        return {out};
    }

    template <class T, shape In, std::size_t N>
    static void propagate(layer_params<Self, T>, const T* in, T* out) {
        constexpr shape Out = infer(In).output;
        if constexpr (In.rank == 2) {
            constexpr std::size_t L = In[1], OL = Out[1];
            if constexpr (interpolation == upsample_mode::nearest) {
                static constexpr auto index = nearest_axis<T, L, OL>(kernel_factor(0));
                for (std::size_t plane = 0; plane < N * In[0]; ++plane)
                    for (std::size_t o = 0; o < OL; ++o) out[plane * OL + o] = in[plane * L + index[o]];
            } else {
                static constexpr auto axis = linear_axis_of<T, L, OL>(align_corners, kernel_factor(0));
                for (std::size_t plane = 0; plane < N * In[0]; ++plane) {
                    const T* x = in + plane * L;
                    for (std::size_t o = 0; o < OL; ++o)
                        out[plane * OL + o] =
                            axis.first_weight[o] * x[axis.first[o]] + axis.second_weight[o] * x[axis.second[o]];
                }
            }
        } else {
            constexpr std::size_t H = In[1], W = In[2], OH = Out[1], OW = Out[2];
            if constexpr (interpolation == upsample_mode::nearest) {
                // One channel: PyTorch takes its channels-last kernel (see nearest_idx_axis).
                constexpr bool channels_last_kernel = In[0] == 1;
                static constexpr auto rows = channels_last_kernel ? nearest_idx_axis<H, OH>(kernel_factor(0))
                                                                  : nearest_axis<T, H, OH>(kernel_factor(0));
                static constexpr auto columns = channels_last_kernel ? nearest_idx_axis<W, OW>(kernel_factor(1))
                                                                     : nearest_axis<T, W, OW>(kernel_factor(1));
                for (std::size_t plane = 0; plane < N * In[0]; ++plane)
                    for (std::size_t oh = 0; oh < OH; ++oh) {
                        const T* x = in + (plane * H + rows[oh]) * W;
                        T* y = out + (plane * OH + oh) * OW;
                        for (std::size_t ow = 0; ow < OW; ++ow) y[ow] = x[columns[ow]];
                    }
            } else {
                static constexpr auto rows = linear_axis_of<T, H, OH>(align_corners, kernel_factor(0));
                static constexpr auto columns = linear_axis_of<T, W, OW>(align_corners, kernel_factor(1));
                // Per output row: the blend of its two input rows (contiguous, vectorisable), then of
                // each output column's two columns of that blend.
                for (std::size_t plane = 0; plane < N * In[0]; ++plane)
                    for (std::size_t oh = 0; oh < OH; ++oh) {
                        const T* top = in + (plane * H + rows.first[oh]) * W;
                        const T* bottom = in + (plane * H + rows.second[oh]) * W;
                        const T a = rows.first_weight[oh], b = rows.second_weight[oh];
                        T blend[W];
                        for (std::size_t w = 0; w < W; ++w) blend[w] = a * top[w] + b * bottom[w];
                        T* y = out + (plane * OH + oh) * OW;
                        for (std::size_t ow = 0; ow < OW; ++ow)
                            y[ow] = columns.first_weight[ow] * blend[columns.first[ow]] +
                                    columns.second_weight[ow] * blend[columns.second[ow]];
                    }
            }
        }
    }

    // Training (backward.hpp): each output's gradient goes back to the inputs it was read from,
    // with the weights it read them with. Nearest takes PyTorch's backward kernel's source index
    // (nearest_idx: exact for sizes kept or doubled, else the scale in float), for every channel
    // count.
    template <class T, shape In, std::size_t N>
    static void backward(const backward_pass<Self, T>& p) {
        if (!p.grad_in) return;
        constexpr shape Out = infer(In).output;
        T* dx = p.grad_in;
        const T* dy = p.grad_out;
        std::fill_n(dx, N * In.numel(), T(0));
        if constexpr (In.rank == 2) {
            constexpr std::size_t L = In[1], OL = Out[1];
            if constexpr (interpolation == upsample_mode::nearest) {
                static constexpr auto index = nearest_idx_axis<L, OL>(kernel_factor(0));
                for (std::size_t plane = 0; plane < N * In[0]; ++plane)
                    for (std::size_t o = 0; o < OL; ++o) dx[plane * L + index[o]] += dy[plane * OL + o];
            } else {
                static constexpr auto axis = linear_axis_of<T, L, OL>(align_corners, kernel_factor(0));
                for (std::size_t plane = 0; plane < N * In[0]; ++plane)
                    for (std::size_t o = 0; o < OL; ++o) {
                        dx[plane * L + axis.first[o]] += axis.first_weight[o] * dy[plane * OL + o];
                        dx[plane * L + axis.second[o]] += axis.second_weight[o] * dy[plane * OL + o];
                    }
            }
        } else {
            constexpr std::size_t H = In[1], W = In[2], OH = Out[1], OW = Out[2];
            if constexpr (interpolation == upsample_mode::nearest) {
                static constexpr auto rows = nearest_idx_axis<H, OH>(kernel_factor(0));
                static constexpr auto columns = nearest_idx_axis<W, OW>(kernel_factor(1));
                for (std::size_t plane = 0; plane < N * In[0]; ++plane)
                    for (std::size_t oh = 0; oh < OH; ++oh) {
                        T* x = dx + (plane * H + rows[oh]) * W;
                        const T* y = dy + (plane * OH + oh) * OW;
                        for (std::size_t ow = 0; ow < OW; ++ow) x[columns[ow]] += y[ow];
                    }
            } else {
                static constexpr auto rows = linear_axis_of<T, H, OH>(align_corners, kernel_factor(0));
                static constexpr auto columns = linear_axis_of<T, W, OW>(align_corners, kernel_factor(1));
                // The forward's order reversed: each output row's gradient onto a row of W columns,
                // then that row onto the output row's two input rows.
                for (std::size_t plane = 0; plane < N * In[0]; ++plane)
                    for (std::size_t oh = 0; oh < OH; ++oh) {
                        T blend[W] = {};
                        const T* y = dy + (plane * OH + oh) * OW;
                        for (std::size_t ow = 0; ow < OW; ++ow) {
                            blend[columns.first[ow]] += columns.first_weight[ow] * y[ow];
                            blend[columns.second[ow]] += columns.second_weight[ow] * y[ow];
                        }
                        T* top = dx + (plane * H + rows.first[oh]) * W;
                        T* bottom = dx + (plane * H + rows.second[oh]) * W;
                        const T a = rows.first_weight[oh], b = rows.second_weight[oh];
                        for (std::size_t w = 0; w < W; ++w) {
                            top[w] += a * blend[w];
                            bottom[w] += b * blend[w];
                        }
                    }
            }
        }
    }
};

}  // namespace detail

template <class... Options>
struct Upsample : detail::upsample_layer<Upsample<Options...>, "Upsample", Options...> {
    static_assert(options_accepted<void(option_kind::output_size, option_kind::scale_factor, option_kind::mode,
                                        option_kind::align_corners, option_kind::recompute_scale_factor),
                                   Options...>,
                  "Upsample takes the options output_size<...>, scale_factor<...>, mode<...>, align_corners<> and "
                  "recompute_scale_factor<>, each at most once");
};

// nn.UpsamplingNearest2d(size=..., scale_factor=...): Upsample in mode 'nearest'.
template <class... Options>
struct UpsamplingNearest2d
    : detail::upsample_layer<UpsamplingNearest2d<Options...>, "UpsamplingNearest2d", Options..., mode<"nearest">> {
    static_assert(options_accepted<void(option_kind::output_size, option_kind::scale_factor), Options...>,
                  "UpsamplingNearest2d takes the options output_size<...> and scale_factor<...>, one of them");
};

// nn.UpsamplingBilinear2d(size=..., scale_factor=...): Upsample in mode 'bilinear' with align_corners=True.
template <class... Options>
struct UpsamplingBilinear2d
    : detail::upsample_layer<UpsamplingBilinear2d<Options...>, "UpsamplingBilinear2d", Options..., mode<"bilinear">,
                             align_corners<true>> {
    static_assert(options_accepted<void(option_kind::output_size, option_kind::scale_factor), Options...>,
                  "UpsamplingBilinear2d takes the options output_size<...> and scale_factor<...>, one of them");
};

}  // namespace typenet
