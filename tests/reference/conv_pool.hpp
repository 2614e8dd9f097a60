// The typenet twins of the conv_pool group's reference models (conv_pool.py): Conv1d,
// ConvTranspose1d/2d, the 1-d pools, the adaptive max pools and Upsample.
#pragma once

#include <typenet/typenet.hpp>

namespace reference {

using namespace typenet;

using conv1d_defaults = Sequential<Conv1d<3, 5, 3>>;
using conv1d_options = Sequential<Conv1d<4, 6, 5, stride<2>, padding<3>, dilation<2>, groups<2>, bias<false>>>;
using conv1d_depthwise = Sequential<Conv1d<6, 6, 3, padding<1>, groups<6>>, ReLU>;
using conv1d_batch_norm_silu = Sequential<Conv1d<3, 6, 5, padding<2>>, BatchNorm1d<6>, SiLU>;
static_assert(conv1d_batch_norm_silu::step_lengths[0] == 3, "one fused step");
using constant_pad1d_transpose = Sequential<ConstantPad1d<2, 3, "-0.5">, Transpose<1, 3>, Transpose<-1, 2>, Linear<4, 2>>;
// Also run one time step at a time by stream.cpp.
using stream_causal_conv = Sequential<Linear<4, 8>, Tanh, Transpose<1, 2>, ConstantPad1d<4, 0>,
                                      Conv1d<8, 8, 3, dilation<2>>, Transpose<1, 2>, Linear<8, 2>>;
using stream_grouped_conv = Sequential<ConstantPad1d<3, 0>, Conv1d<4, 6, 2, dilation<3>, groups<2>, bias<false>>, ReLU,
                                       Conv1d<6, 3, 1>>;
using conv_transpose2d_defaults = Sequential<ConvTranspose2d<3, 5, 3>>;
using conv_transpose2d_stride_padding = Sequential<ConvTranspose2d<4, 6, 4, stride<2>, padding<1>>>;
using conv_transpose2d_options = Sequential<ConvTranspose2d<4, 6, size2{3, 2}, stride<2, 3>, padding<1, 2>,
                                                            output_padding<1, 2>, groups<2>, bias<false>, dilation<1, 2>>>;
using conv_transpose2d_depthwise_dilation =
    Sequential<ConvTranspose2d<5, 5, 3, padding<2>, output_padding<2>, groups<5>, dilation<3>>>;
using conv_transpose2d_passes = Sequential<ConvTranspose2d<16, 16, 4, stride<2>, padding<1>>>;
using conv_transpose1d_defaults = Sequential<ConvTranspose1d<3, 2, 4>>;
using conv_transpose1d_options =
    Sequential<ConvTranspose1d<4, 6, 3, stride<3>, padding<1>, output_padding<2>, groups<2>, dilation<2>>>;
using max_pool1d_defaults = Sequential<MaxPool1d<2>>;
using max_pool1d_options = Sequential<MaxPool1d<4, stride<3>, padding<2>, dilation<2>, ceil_mode<true>>>;
using avg_pool1d_defaults = Sequential<AvgPool1d<3>>;
using avg_pool1d_include_pad = Sequential<AvgPool1d<3, stride<2>, padding<1>, ceil_mode<true>>>;
using avg_pool1d_exclude_pad = Sequential<AvgPool1d<4, stride<3>, padding<2>, ceil_mode<true>, count_include_pad<false>>>;
using adaptive_avg_pool1d = Sequential<AdaptiveAvgPool1d<4>>;
using adaptive_avg_pool1d_upsample = Sequential<AdaptiveAvgPool1d<5>>;
using adaptive_max_pool2d_7_to_4 = Sequential<AdaptiveMaxPool2d<4, 4>>;
using adaptive_max_pool2d_rect = Sequential<AdaptiveMaxPool2d<3, 5>>;
using adaptive_max_pool1d = Sequential<AdaptiveMaxPool1d<4>>;
using upsample_nearest_2x = Sequential<Upsample<scale_factor<"2">>>;
using upsample_nearest_size = Sequential<Upsample<output_size<46, 22>>>;
using upsample_nearest_size_14_to_46 = Sequential<Upsample<output_size<46, 3>>>;
using upsample_nearest_scale_3_7 = Sequential<Upsample<scale_factor<"3.7">>>;
using upsample_nearest_fractional = Sequential<Upsample<scale_factor<"2.1", "1.1">>>;
using upsample_nearest_one_channel = Sequential<Upsample<scale_factor<"2.1", "1.1">>>;
using upsample_nearest_down = Sequential<Upsample<scale_factor<"0.6">>>;
using upsample_nearest_1d = Sequential<Upsample<scale_factor<"1.7">>>;
using upsampling_nearest2d = Sequential<UpsamplingNearest2d<scale_factor<"3">>>;
using upsample_bilinear_2x = Sequential<Upsample<scale_factor<"2">, mode<"bilinear">>>;
using upsample_bilinear_2x_align = Sequential<Upsample<scale_factor<"2">, mode<"bilinear">, align_corners<true>>>;
using upsample_bilinear_fractional = Sequential<Upsample<scale_factor<"1.5", "0.6">, mode<"bilinear">>>;
using upsample_bilinear_fractional_align =
    Sequential<Upsample<scale_factor<"2.5", "1.3">, mode<"bilinear">, align_corners<true>>>;
using upsample_bilinear_size = Sequential<Upsample<output_size<9, 11>, mode<"bilinear">>>;
using upsample_bilinear_size_align = Sequential<Upsample<output_size<7, 4>, mode<"bilinear">, align_corners<true>>>;
using upsample_bilinear_one_channel = Sequential<Upsample<scale_factor<"1.7">, mode<"bilinear">>>;
using upsample_bilinear_recompute =
    Sequential<Upsample<scale_factor<"1.7">, mode<"bilinear">, recompute_scale_factor<true>>>;
using upsampling_bilinear2d = Sequential<UpsamplingBilinear2d<output_size<5, 7>>>;
using upsample_linear = Sequential<Upsample<scale_factor<"2.5">, mode<"linear">>>;
using upsample_linear_size_align = Sequential<Upsample<output_size<11>, mode<"linear">, align_corners<true>>>;
using conv1d_encoder = Sequential<Conv1d<2, 8, 5, padding<2>>, ReLU, MaxPool1d<2>, Conv1d<8, 8, 3, dilation<2>>, ReLU,
                                  AdaptiveAvgPool1d<3>, Flatten, Linear<24, 5>>;
using conv_transpose2d_decoder = Sequential<ConvTranspose2d<8, 4, 2, stride<2>>, ReLU,
                                            Upsample<scale_factor<"1.5">, mode<"bilinear">>,
                                            Conv2d<4, 3, 3, padding<1>>, AdaptiveMaxPool2d<5, 4>>;

// Calls f.template operator()<Net, Input>("name") for every model of the group.
template <class F>
void for_each_conv_pool_model(F&& f) {
    f.template operator()<conv1d_defaults, Input<3, 11>>("conv1d_defaults");
    f.template operator()<conv1d_options, Input<4, 17>>("conv1d_options");
    f.template operator()<conv1d_depthwise, Input<6, 9>>("conv1d_depthwise");
    f.template operator()<conv_transpose2d_defaults, Input<3, 5, 6>>("conv_transpose2d_defaults");
    f.template operator()<conv_transpose2d_stride_padding, Input<4, 5, 7>>("conv_transpose2d_stride_padding");
    f.template operator()<conv_transpose2d_options, Input<4, 5, 4>>("conv_transpose2d_options");
    f.template operator()<conv_transpose2d_depthwise_dilation, Input<5, 6, 5>>("conv_transpose2d_depthwise_dilation");
    f.template operator()<conv_transpose2d_passes, Input<16, 20, 20>>("conv_transpose2d_passes");
    f.template operator()<conv_transpose1d_defaults, Input<3, 5>>("conv_transpose1d_defaults");
    f.template operator()<conv_transpose1d_options, Input<4, 7>>("conv_transpose1d_options");
    f.template operator()<max_pool1d_defaults, Input<4, 9>>("max_pool1d_defaults");
    f.template operator()<max_pool1d_options, Input<3, 16>>("max_pool1d_options");
    f.template operator()<avg_pool1d_defaults, Input<4, 10>>("avg_pool1d_defaults");
    f.template operator()<avg_pool1d_include_pad, Input<2, 8>>("avg_pool1d_include_pad");
    f.template operator()<avg_pool1d_exclude_pad, Input<3, 12>>("avg_pool1d_exclude_pad");
    f.template operator()<adaptive_avg_pool1d, Input<3, 10>>("adaptive_avg_pool1d");
    f.template operator()<adaptive_avg_pool1d_upsample, Input<2, 3>>("adaptive_avg_pool1d_upsample");
    f.template operator()<adaptive_max_pool2d_7_to_4, Input<3, 7, 7>>("adaptive_max_pool2d_7_to_4");
    f.template operator()<adaptive_max_pool2d_rect, Input<2, 10, 3>>("adaptive_max_pool2d_rect");
    f.template operator()<adaptive_max_pool1d, Input<3, 10>>("adaptive_max_pool1d");
    f.template operator()<upsample_nearest_2x, Input<3, 4, 5>>("upsample_nearest_2x");
    f.template operator()<upsample_nearest_size, Input<2, 26, 26>>("upsample_nearest_size");
    f.template operator()<upsample_nearest_size_14_to_46, Input<2, 14, 5>>("upsample_nearest_size_14_to_46");
    f.template operator()<upsample_nearest_scale_3_7, Input<2, 11, 5>>("upsample_nearest_scale_3_7");
    f.template operator()<upsample_nearest_fractional, Input<3, 5, 7>>("upsample_nearest_fractional");
    f.template operator()<upsample_nearest_one_channel, Input<1, 5, 7>>("upsample_nearest_one_channel");
    f.template operator()<upsample_nearest_down, Input<2, 9, 11>>("upsample_nearest_down");
    f.template operator()<upsample_nearest_1d, Input<3, 9>>("upsample_nearest_1d");
    f.template operator()<upsampling_nearest2d, Input<2, 3, 4>>("upsampling_nearest2d");
    f.template operator()<upsample_bilinear_2x, Input<2, 4, 5>>("upsample_bilinear_2x");
    f.template operator()<upsample_bilinear_2x_align, Input<2, 4, 5>>("upsample_bilinear_2x_align");
    f.template operator()<upsample_bilinear_fractional, Input<3, 5, 9>>("upsample_bilinear_fractional");
    f.template operator()<upsample_bilinear_fractional_align, Input<2, 3, 7>>("upsample_bilinear_fractional_align");
    f.template operator()<upsample_bilinear_size, Input<3, 4, 5>>("upsample_bilinear_size");
    f.template operator()<upsample_bilinear_size_align, Input<3, 5, 6>>("upsample_bilinear_size_align");
    f.template operator()<upsample_bilinear_one_channel, Input<1, 5, 6>>("upsample_bilinear_one_channel");
    f.template operator()<upsample_bilinear_recompute, Input<2, 5, 6>>("upsample_bilinear_recompute");
    f.template operator()<upsampling_bilinear2d, Input<2, 3, 4>>("upsampling_bilinear2d");
    f.template operator()<upsample_linear, Input<3, 7>>("upsample_linear");
    f.template operator()<upsample_linear_size_align, Input<3, 4>>("upsample_linear_size_align");
    f.template operator()<conv1d_encoder, Input<2, 30>>("conv1d_encoder");
    f.template operator()<conv_transpose2d_decoder, Input<8, 3, 4>>("conv_transpose2d_decoder");
    f.template operator()<conv1d_batch_norm_silu, Input<3, 40>>("conv1d_batch_norm_silu");
    f.template operator()<constant_pad1d_transpose, Input<3, 4, 5>>("constant_pad1d_transpose");
    f.template operator()<stream_causal_conv, Input<120, 4>>("stream_causal_conv");
    f.template operator()<stream_grouped_conv, Input<4, 110>>("stream_grouped_conv");
}

}  // namespace reference
