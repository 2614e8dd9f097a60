// The typenet side of the reference models: each type mirrors the PyTorch model of the same
// name in models.py, and the parity tests check that both agree.
#pragma once

#include <typenet/typenet.hpp>

#include "../../examples/simple_mnist_model.hpp"

namespace reference {

using namespace typenet;

using conv_stride_padding = Sequential<Conv2d<3, 8, 3, stride<2>, padding<1>>>;
using conv_rect_dilation_groups_nobias =
    Sequential<Conv2d<4, 6, size2{3, 5}, stride<2, 1>, padding<2, 1>, dilation<2, 1>, groups<2>, bias<false>>>;
using conv_depthwise = Sequential<Conv2d<6, 6, 3, padding<1>, groups<6>>, ReLU>;
using max_pool_ceil_padding = Sequential<MaxPool2d<3, stride<2>, padding<1>, ceil_mode<true>>>;
using max_pool_rect_dilation = Sequential<MaxPool2d<size2{2, 3}, stride<1, 2>, dilation<2, 1>>>;
using avg_pool_ceil_padding = Sequential<AvgPool2d<3, stride<2>, padding<1>, ceil_mode<true>>>;
using avg_pool_exclude_pad = Sequential<AvgPool2d<3, stride<2>, padding<1>, ceil_mode<true>, count_include_pad<false>>>;
using avg_pool_divisor_override = Sequential<AvgPool2d<size2{2, 3}, divisor_override<5>>>;
using adaptive_avg_pool_7_to_4 = Sequential<AdaptiveAvgPool2d<4, 4>>;
using adaptive_avg_pool_rect_upsample = Sequential<AdaptiveAvgPool2d<3, 5>>;
using linear_nobias_rank2 = Sequential<Linear<7, 5, bias<false>>>;
using batch_norm1d = Sequential<Linear<5, 6>, BatchNorm1d<6>>;
using batch_norm1d_sequence = Sequential<BatchNorm1d<4, eps<"1e-3">>>;
using batch_norm2d = Sequential<BatchNorm2d<5, eps<"1e-3">, momentum<"0.01">>>;
using batch_norm2d_no_affine = Sequential<BatchNorm2d<3, affine<false>>>;
using batch_norm2d_batch_statistics = Sequential<BatchNorm2d<3, track_running_stats<false>>>;
using flatten_dims = Sequential<FlattenDims<2>, Linear<20, 3>>;
using elementwise = Sequential<ReLU, Identity, Dropout<"0.2">>;
using named_children = Sequential<
    Named<"cnn", Sequential<Named<"conv1", Conv2d<1, 4, 3>>, Named<"relu1", ReLU>, Named<"pool1", MaxPool2d<2>>>>,
    Named<"head", Sequential<Named<"flatten", Flatten>, Named<"fc", Linear<4 * 3 * 3, 5>>>>>;
using simple_mnist = SimpleMNISTModel<>;
using simple_mnist_batch_norm = Sequential<
    Named<"features", Sequential<
        Conv2d<1, 32, 3, padding<1>>, BatchNorm2d<32>, ReLU, MaxPool2d<2, stride<2>>,
        Conv2d<32, 64, 3, padding<1>>, BatchNorm2d<64>, ReLU, MaxPool2d<2, stride<2>>,
        Conv2d<64, 128, 3, padding<1>>, BatchNorm2d<128>, ReLU, AdaptiveAvgPool2d<4, 4>>>,
    Named<"classifier", Sequential<
        Flatten, Linear<128 * 4 * 4, 256>, ReLU, Dropout<"0.5">,
        Linear<256, 128>, ReLU, Dropout<"0.3">, Linear<128, 10>>>>;
using mlp = Sequential<Flatten, Linear<784, 256>, ReLU, Linear<256, 128>, ReLU, Linear<128, 10>>;

// Calls f.template operator()<Net, Input>("name") for every reference model.
template <class F>
void for_each_model(F&& f) {
    f.template operator()<conv_stride_padding, Input<3, 11, 13>>("conv_stride_padding");
    f.template operator()<conv_rect_dilation_groups_nobias, Input<4, 12, 9>>("conv_rect_dilation_groups_nobias");
    f.template operator()<conv_depthwise, Input<6, 5, 5>>("conv_depthwise");
    f.template operator()<max_pool_ceil_padding, Input<5, 10, 9>>("max_pool_ceil_padding");
    f.template operator()<max_pool_rect_dilation, Input<3, 9, 11>>("max_pool_rect_dilation");
    f.template operator()<avg_pool_ceil_padding, Input<4, 10, 9>>("avg_pool_ceil_padding");
    f.template operator()<avg_pool_exclude_pad, Input<4, 10, 9>>("avg_pool_exclude_pad");
    f.template operator()<avg_pool_divisor_override, Input<3, 7, 8>>("avg_pool_divisor_override");
    f.template operator()<adaptive_avg_pool_7_to_4, Input<3, 7, 7>>("adaptive_avg_pool_7_to_4");
    f.template operator()<adaptive_avg_pool_rect_upsample, Input<2, 10, 3>>("adaptive_avg_pool_rect_upsample");
    f.template operator()<linear_nobias_rank2, Input<4, 7>>("linear_nobias_rank2");
    f.template operator()<batch_norm1d, Input<5>>("batch_norm1d");
    f.template operator()<batch_norm1d_sequence, Input<4, 9>>("batch_norm1d_sequence");
    f.template operator()<batch_norm2d, Input<5, 6, 7>>("batch_norm2d");
    f.template operator()<batch_norm2d_no_affine, Input<3, 4, 4>>("batch_norm2d_no_affine");
    f.template operator()<batch_norm2d_batch_statistics, Input<3, 4, 5>>("batch_norm2d_batch_statistics");
    f.template operator()<flatten_dims, Input<3, 4, 5>>("flatten_dims");
    f.template operator()<elementwise, Input<2, 3, 4>>("elementwise");
    f.template operator()<named_children, Input<1, 8, 8>>("named_children");
    f.template operator()<simple_mnist, Input<1, 28, 28>>("simple_mnist");
    f.template operator()<simple_mnist_batch_norm, Input<1, 28, 28>>("simple_mnist_batch_norm");
    f.template operator()<mlp, Input<1, 28, 28>>("mlp");
}

}  // namespace reference
