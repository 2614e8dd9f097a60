// The typenet side of the activations_norms group's reference models: each type mirrors the
// PyTorch model of the same name in activations_norms.py (a Spread there is a plain Sequential:
// it only scales the random parameters PyTorch saves).
#pragma once

#include <typenet/typenet.hpp>

namespace reference::activations_norms {

using namespace typenet;

template <class Activation>
using act = Sequential<Linear<8, 15>, Activation>;

using act_relu6 = act<ReLU6>;
using act_hardtanh = act<Hardtanh<>>;
using act_hardtanh_custom = act<Hardtanh<"-2.0", "3.0">>;
using act_leaky_relu = act<LeakyReLU<>>;
using act_leaky_relu_02 = act<LeakyReLU<"0.2">>;
using act_elu = act<ELU<>>;
using act_elu_alpha = act<ELU<"0.5">>;
using act_gelu = act<GELU<>>;
using act_gelu_near_zero = act<GELU<"none">>;
using act_gelu_tanh = act<GELU<"tanh">>;
using act_silu = act<SiLU>;
using act_sigmoid = act<Sigmoid>;
using act_tanh = act<Tanh>;
using act_hardswish = act<Hardswish>;
using act_hardsigmoid = act<Hardsigmoid>;
using act_mish = act<Mish>;
using act_softplus = act<Softplus<>>;
using act_softplus_threshold = act<Softplus<>>;
using act_softplus_beta_threshold = act<Softplus<threshold<"1.5">, beta<"2">>>;
using act_conv_chain = Sequential<Conv2d<3, 6, 3, padding<1>>, GELU<>, Conv2d<6, 5, 1>, Hardswish, Conv2d<5, 4, 1>, SiLU>;

template <class Normalization>
using after_conv = Sequential<Conv2d<4, 5, 1>, Normalization>;
using softmax_dim1 = after_conv<Softmax<1>>;
using softmax_dim2 = after_conv<Softmax<2>>;
using softmax_dim3 = after_conv<Softmax<3>>;
using softmax_dim_minus1 = after_conv<Softmax<-1>>;
using softmax_dim_minus3 = after_conv<Softmax<-3>>;
using log_softmax_dim1 = after_conv<LogSoftmax<1>>;
using log_softmax_dim2 = after_conv<LogSoftmax<2>>;
using log_softmax_dim3 = after_conv<LogSoftmax<3>>;
using log_softmax_dim_minus1 = after_conv<LogSoftmax<-1>>;
using softmax_large_values = after_conv<Softmax<1>>;
using log_softmax_large_values = Sequential<Linear<6, 40>, LogSoftmax<-1>>;
using classifier_softmax = Sequential<Flatten, Linear<12, 10>, Softmax<1>>;
using classifier_log_softmax = Sequential<Linear<12, 100>, LogSoftmax<-1>>;

using layer_norm_last = Sequential<Linear<6, 20>, LayerNorm<20>>;
using layer_norm_last_no_affine = Sequential<Linear<6, 20>, LayerNorm<20, elementwise_affine<false>>>;
using layer_norm_two_dims = Sequential<LayerNorm<shape{4, 5}, eps<"1e-6">>>;
using layer_norm_two_dims_no_affine = Sequential<LayerNorm<shape{4, 5}, elementwise_affine<false>>>;
using layer_norm_wide = Sequential<Linear<8, 96>, LayerNorm<96>, GELU<>, Linear<96, 8>>;

using group_norm_1 = Sequential<Conv2d<3, 6, 3>, GroupNorm<1, 6>>;
using group_norm_2 = Sequential<Conv2d<3, 6, 3>, GroupNorm<2, 6, eps<"1e-3">>>;
using group_norm_per_channel = Sequential<Conv2d<3, 6, 3>, GroupNorm<6, 6>>;
using group_norm_no_affine = Sequential<GroupNorm<2, 4, affine<false>>>;

using instance_norm2d = Sequential<Conv2d<3, 4, 3>, InstanceNorm2d<4>>;
using instance_norm2d_affine = Sequential<Conv2d<3, 4, 3>, InstanceNorm2d<4, affine<true>>>;
using instance_norm2d_running_stats =
    Sequential<InstanceNorm2d<4, eps<"1e-3">, momentum<"0.2">, track_running_stats<true>>>;
using instance_norm2d_affine_running_stats = Sequential<InstanceNorm2d<4, affine<true>, track_running_stats<true>>>;
using instance_norm1d = Sequential<InstanceNorm1d<5, affine<true>>>;
using instance_norm1d_running_stats = Sequential<InstanceNorm1d<5, track_running_stats<true>>>;

using layer_norm2d = Sequential<Conv2d<3, 8, 3>, LayerNorm2d<8>>;
using layer_norm2d_convnext = Sequential<Conv2d<3, 96, 4, stride<4>>, LayerNorm2d<96, eps<"1e-6">>>;

using dropout_variants = Sequential<Conv2d<2, 3, 1>, Dropout2d<"0.2">, AlphaDropout<"0.1">, StochasticDepth<"0.2", "row">,
                                    StochasticDepth<"0.5", "batch">, FlattenDims<2>, Dropout1d<"0.3">, Flatten,
                                    Linear<3 * 20, 4>, Dropout1d<"0.1">, Linear<4, 3>>;

}  // namespace reference::activations_norms

namespace reference {

// Calls f.template operator()<Net, Input>("name") for every reference model of the group.
template <class F>
void for_each_activations_norms_model(F&& f) {
    using namespace activations_norms;
    f.template operator()<act_relu6, Input<4, 8>>("act_relu6");
    f.template operator()<act_hardtanh, Input<4, 8>>("act_hardtanh");
    f.template operator()<act_hardtanh_custom, Input<4, 8>>("act_hardtanh_custom");
    f.template operator()<act_leaky_relu, Input<4, 8>>("act_leaky_relu");
    f.template operator()<act_leaky_relu_02, Input<4, 8>>("act_leaky_relu_02");
    f.template operator()<act_elu, Input<4, 8>>("act_elu");
    f.template operator()<act_elu_alpha, Input<4, 8>>("act_elu_alpha");
    f.template operator()<act_gelu, Input<4, 8>>("act_gelu");
    f.template operator()<act_gelu_near_zero, Input<4, 8>>("act_gelu_near_zero");
    f.template operator()<act_gelu_tanh, Input<4, 8>>("act_gelu_tanh");
    f.template operator()<act_silu, Input<4, 8>>("act_silu");
    f.template operator()<act_sigmoid, Input<4, 8>>("act_sigmoid");
    f.template operator()<act_tanh, Input<4, 8>>("act_tanh");
    f.template operator()<act_hardswish, Input<4, 8>>("act_hardswish");
    f.template operator()<act_hardsigmoid, Input<4, 8>>("act_hardsigmoid");
    f.template operator()<act_mish, Input<4, 8>>("act_mish");
    f.template operator()<act_softplus, Input<4, 8>>("act_softplus");
    f.template operator()<act_softplus_threshold, Input<4, 8>>("act_softplus_threshold");
    f.template operator()<act_softplus_beta_threshold, Input<4, 8>>("act_softplus_beta_threshold");
    f.template operator()<act_conv_chain, Input<3, 7, 9>>("act_conv_chain");

    f.template operator()<softmax_dim1, Input<4, 6, 19>>("softmax_dim1");
    f.template operator()<softmax_dim2, Input<4, 6, 19>>("softmax_dim2");
    f.template operator()<softmax_dim3, Input<4, 6, 19>>("softmax_dim3");
    f.template operator()<softmax_dim_minus1, Input<4, 6, 37>>("softmax_dim_minus1");
    f.template operator()<softmax_dim_minus3, Input<4, 6, 19>>("softmax_dim_minus3");
    f.template operator()<log_softmax_dim1, Input<4, 6, 19>>("log_softmax_dim1");
    f.template operator()<log_softmax_dim2, Input<4, 6, 19>>("log_softmax_dim2");
    f.template operator()<log_softmax_dim3, Input<4, 6, 19>>("log_softmax_dim3");
    f.template operator()<log_softmax_dim_minus1, Input<4, 6, 37>>("log_softmax_dim_minus1");
    f.template operator()<softmax_large_values, Input<4, 3, 17>>("softmax_large_values");
    f.template operator()<log_softmax_large_values, Input<6>>("log_softmax_large_values");
    f.template operator()<classifier_softmax, Input<3, 4>>("classifier_softmax");
    f.template operator()<classifier_log_softmax, Input<12>>("classifier_log_softmax");

    f.template operator()<layer_norm_last, Input<5, 6>>("layer_norm_last");
    f.template operator()<layer_norm_last_no_affine, Input<5, 6>>("layer_norm_last_no_affine");
    f.template operator()<layer_norm_two_dims, Input<3, 4, 5>>("layer_norm_two_dims");
    f.template operator()<layer_norm_two_dims_no_affine, Input<3, 4, 5>>("layer_norm_two_dims_no_affine");
    f.template operator()<layer_norm_wide, Input<7, 8>>("layer_norm_wide");

    f.template operator()<group_norm_1, Input<3, 7, 6>>("group_norm_1");
    f.template operator()<group_norm_2, Input<3, 7, 6>>("group_norm_2");
    f.template operator()<group_norm_per_channel, Input<3, 7, 6>>("group_norm_per_channel");
    f.template operator()<group_norm_no_affine, Input<4, 5>>("group_norm_no_affine");

    f.template operator()<instance_norm2d, Input<3, 8, 7>>("instance_norm2d");
    f.template operator()<instance_norm2d_affine, Input<3, 8, 7>>("instance_norm2d_affine");
    f.template operator()<instance_norm2d_running_stats, Input<4, 5, 6>>("instance_norm2d_running_stats");
    f.template operator()<instance_norm2d_affine_running_stats, Input<4, 5, 6>>("instance_norm2d_affine_running_stats");
    f.template operator()<instance_norm1d, Input<5, 9>>("instance_norm1d");
    f.template operator()<instance_norm1d_running_stats, Input<5, 1>>("instance_norm1d_running_stats");

    f.template operator()<layer_norm2d, Input<3, 9, 8>>("layer_norm2d");
    f.template operator()<layer_norm2d_convnext, Input<3, 24, 20>>("layer_norm2d_convnext");

    f.template operator()<dropout_variants, Input<2, 4, 5>>("dropout_variants");
}

}  // namespace reference
