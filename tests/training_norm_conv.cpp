// Gradients of GroupNorm, InstanceNorm1d/2d (running statistics in train() and eval()), Upsample in
// every mode and ConvTranspose1d/2d against torch.autograd (training_support.hpp); the cases are
// reference/training_norm_conv.py's GRADIENTS, which says what each net covers.
#include "training_support.hpp"

namespace {
using namespace typenet;
using namespace training;

using GroupNormNet = Sequential<GroupNorm<1, 2>, Conv2d<2, 6, 1>, GroupNorm<3, 6>, Tanh,
                                GroupNorm<2, 6, eps<"1e-3">, affine<false>>, Flatten, Linear<54, 3>>;
using InstanceNorm1dNet = Sequential<Conv1d<2, 4, 1, bias<false>>,
                                     InstanceNorm1d<4, momentum<"0.3">, affine<true>, track_running_stats<true>>, Tanh,
                                     InstanceNorm1d<4, eps<"1e-3">>, Flatten, Linear<20, 3>>;
using InstanceNorm2dNet = Sequential<InstanceNorm2d<2, affine<true>>, Tanh, Conv2d<2, 3, 1, bias<false>>,
                                     InstanceNorm2d<3, track_running_stats<true>>, Flatten, Linear<27, 2>>;
using ConvTranspose2dNet =
    Sequential<ConvTranspose2d<2, 4, size2{3, 2}, stride<2, 1>, padding<1, 0>, output_padding<1, 0>, groups<2>,
                               dilation<1, 2>>,
               Tanh, ConvTranspose2d<4, 4, 3, padding<1>, groups<4>>, ConvTranspose2d<4, 2, 2, bias<false>>, Flatten,
               Linear<84, 3>>;

}  // namespace

TEST_CASE("GroupNorm's gradients equal torch.autograd's, affine or not, first or frozen") {
    check_case<GroupNormNet, Input<2, 3, 3>, 3>("group_norm", {loss_kind::cross_entropy}, true);
    check_case<GroupNormNet, Input<2, 3, 3>, 3>("group_norm_frozen", {loss_kind::mse}, true, {"0", "2"});
    check_case<Sequential<Linear<6, 8>, GroupNorm<2, 8>, Tanh, Linear<8, 6>, GroupNorm<1, 6, affine<false>>,
                          Linear<6, 3>>,
               Input<6>, 4>("group_norm1d", {loss_kind::cross_entropy}, true);
}

TEST_CASE("InstanceNorm trains as PyTorch's: instance statistics, running statistics, eval()") {
    check_case<InstanceNorm1dNet, Input<2, 5>, 3>("instance_norm1d_train", {loss_kind::cross_entropy}, true);
    check_case<InstanceNorm1dNet, Input<2, 5>, 3>("instance_norm1d_eval", {loss_kind::cross_entropy}, false);
    check_case<InstanceNorm2dNet, Input<2, 3, 3>, 4>("instance_norm2d_train", {loss_kind::bce}, true);
    check_case<InstanceNorm2dNet, Input<2, 3, 3>, 4>("instance_norm2d_eval", {loss_kind::bce}, false);
}

TEST_CASE("InstanceNorm refuses to train as PyTorch does: momentum None, one position per channel") {
    using None =
        Trainable<Sequential<InstanceNorm1d<2, track_running_stats<true>, momentum<"None">>>, Input<2, 3>, float, 2>;
    auto none = std::make_unique<None>();
    None::batch_input_type<2> x{};
    None::batch_output_type<2> y{};
    CHECK_THROWS_WITH(none->forward(x, y), Catch::Contains("momentum<\"0.1\">"));
    none->eval();
    CHECK_NOTHROW(none->forward(x, y));
    using One = Trainable<Sequential<InstanceNorm1d<2, track_running_stats<true>>>, Input<2, 1>, float, 2>;
    auto one = std::make_unique<One>();
    One::batch_input_type<2> x1{};
    One::batch_output_type<2> y1{};
    CHECK_THROWS_WITH(one->forward(x1, y1), Catch::Contains("more than one position"));
    CHECK(one->at<"0.running_var">()[0] == 1);  // nothing changed
    one->eval();
    CHECK_NOTHROW(one->forward(x1, y1));
}

TEST_CASE("Upsample's gradients equal torch.autograd's in modes nearest, linear and bilinear") {
    check_case<Sequential<Conv2d<2, 2, 1>, Upsample<scale_factor<"2">>, Upsample<output_size<7, 9>, mode<"bilinear">>,
                          Upsample<scale_factor<"0.6", "0.5">, mode<"bilinear">, align_corners<true>>,
                          Upsample<output_size<5, 7>>, Conv2d<2, 1, 1>, UpsamplingNearest2d<scale_factor<"1.5">>,
                          UpsamplingBilinear2d<output_size<4, 5>>, Flatten, Linear<20, 3>>,
               Input<2, 3, 4>, 3>("upsample2d", {loss_kind::mse}, true);
    check_case<Sequential<Conv1d<2, 2, 1>, Upsample<scale_factor<"2.5">, mode<"linear">>,
                          Upsample<output_size<4>, mode<"linear">, align_corners<true>>, Upsample<scale_factor<"1.5">>,
                          Flatten, Linear<12, 2>>,
               Input<2, 5>, 3>("upsample1d", {loss_kind::cross_entropy}, true);
}

TEST_CASE("ConvTranspose1d/2d's gradients equal torch.autograd's: stride, padding, output_padding, dilation, groups") {
    check_case<ConvTranspose2dNet, Input<2, 3, 3>, 3>("conv_transpose2d", {loss_kind::cross_entropy}, true);
    check_case<ConvTranspose2dNet, Input<2, 3, 3>, 3>("conv_transpose2d_frozen", {loss_kind::cross_entropy}, true,
                                                      {"2"});
    // output_padding 1 with stride 1 (dilation 2): the plain loops.
    check_case<Sequential<Conv1d<2, 2, 1>,
                          ConvTranspose1d<2, 4, 3, padding<1>, output_padding<1>, groups<2>, dilation<2>>, Tanh,
                          ConvTranspose1d<4, 3, 4, stride<3>, padding<2>, output_padding<2>>, Flatten, Linear<69, 2>>,
               Input<2, 5>, 3>("conv_transpose1d", {loss_kind::cross_entropy}, true);
}
