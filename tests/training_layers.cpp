// Gradients of BatchNorm, pools, activations, normalisation layers, Softmax and Transpose against
// torch.autograd (training_support.hpp), with BatchNorm's running statistics after a train()
// forward; the cases are reference/training_layers.py's GRADIENTS and EDGES.
#include "training_support.hpp"

namespace {
using namespace typenet;
using namespace training;

// The layers before a normalisation have no bias (reference/training_layers.py says why).
using BN1dNet = Sequential<Linear<6, 8, bias<false>>, BatchNorm1d<8>, Tanh, Linear<8, 3>>;
using BN1dOptionsNet = Sequential<Linear<6, 8, bias<false>>, BatchNorm1d<8, momentum<"None">>, Tanh,
                                  Linear<8, 8, bias<false>>, BatchNorm1d<8, affine<false>, track_running_stats<false>>,
                                  Linear<8, 3>>;
using BN2dNet = Sequential<Linear<4, 4, bias<false>>, BatchNorm2d<3, eps<"1e-3">, momentum<"0.3">>, MaxPool2d<2>,
                           Flatten, Linear<12, 4>>;
// An identity Linear<8, 8> (set by the reference script), the activation, a Linear<8, 2>.
template <class Activation>
using ActivationNet = Sequential<Linear<8, 8>, Activation, Linear<8, 2>>;

template <class Activation>
void check_activation(const std::string& name) {
    check_case<ActivationNet<Activation>, Input<8>, 4>(name, {loss_kind::cross_entropy}, true);
}

}  // namespace

TEST_CASE("BatchNorm trains as PyTorch's: batch statistics, running statistics, eval()") {
    check_case<BN1dNet, Input<6>, 5>("bn1d_train", {loss_kind::cross_entropy}, true);
    check_case<BN1dNet, Input<6>, 5>("bn1d_eval", {loss_kind::cross_entropy}, false);
    check_case<BN1dOptionsNet, Input<6>, 4>("bn1d_options_train", {loss_kind::cross_entropy}, true);
    check_case<BN1dOptionsNet, Input<6>, 4>("bn1d_options_eval", {loss_kind::cross_entropy}, false);
    check_case<BN2dNet, Input<3, 4, 4>, 4>("bn2d_train", {loss_kind::cross_entropy}, true);
    check_case<BN2dNet, Input<3, 4, 4>, 4>("bn2d_eval", {loss_kind::cross_entropy}, false);
}

TEST_CASE("BatchNorm refuses batch statistics of one value per channel, as PyTorch") {
    using M = Trainable<Sequential<BatchNorm1d<3>>, Input<3>, float, 1>;
    auto model = std::make_unique<M>();
    M::input_type x{};
    M::output_type y{};
    CHECK_THROWS_WITH(model->forward(x, y), Catch::Contains("at least 2 samples"));
    CHECK(model->at<"0.num_batches_tracked">()[0] == 0);  // nothing changed
    model->eval();
    CHECK_NOTHROW(model->forward(x, y));
}

TEST_CASE("gradients of pools equal torch.autograd's") {
    check_case<Sequential<BatchNorm2d<2>, AdaptiveAvgPool2d<4>, MaxPool2d<2, stride<1>>, AdaptiveMaxPool2d<2, 3>,
                          Flatten, Linear<12, 3>>,
               Input<2, 7, 7>, 4>("pools_adaptive", {loss_kind::cross_entropy}, true);
    check_case<Sequential<BatchNorm2d<2>, MaxPool2d<3, stride<2>, padding<1>, ceil_mode<true>>,
                          AvgPool2d<3, stride<2>, padding<1>, ceil_mode<true>, count_include_pad<false>>,
                          MaxPool2d<2, stride<1>, padding<1>, dilation<2>>,
                          AvgPool2d<2, padding<1>, divisor_override<3>>, Flatten, Linear<8, 3>>,
               Input<2, 8, 8>, 4>("pools_padded", {loss_kind::mse}, true);
    // BatchNorm1d over [C, L] samples too.
    check_case<Sequential<Linear<12, 12>, BatchNorm1d<3>, MaxPool1d<3, stride<2>, padding<1>>,
                          AvgPool1d<2, stride<1>, padding<1>, count_include_pad<false>>, AdaptiveAvgPool1d<4>,
                          AdaptiveMaxPool1d<3>, Flatten, Linear<9, 2>>,
               Input<3, 12>, 4>("bn1d_pools_1d", {loss_kind::cross_entropy}, true);
}

TEST_CASE("max pools send the gradient to PyTorch's maximum among equal values") {
    check_case<Sequential<Linear<6, 6>, MaxPool2d<3, stride<2>, padding<1>>, Flatten, Linear<18, 3>>, Input<2, 6, 6>,
               4>("max_pool_ties", {loss_kind::cross_entropy}, true);
    check_case<Sequential<Linear<8, 8>, MaxPool1d<3, stride<1>, dilation<2>>, AdaptiveMaxPool1d<3>, Flatten,
                          Linear<6, 2>>,
               Input<2, 8>, 4>("max_pool1d_ties", {loss_kind::cross_entropy}, true);
}

TEST_CASE("activations' derivatives equal PyTorch's, at their kinks too") {
    check_activation<LeakyReLU<"0.2">>("leaky_relu");
    check_activation<ELU<"0.5">>("elu");
    check_activation<GELU<>>("gelu");
    check_activation<GELU<"tanh">>("gelu_tanh");
    check_activation<SiLU>("silu");
    check_activation<Hardtanh<"-1", "2">>("hardtanh");
    check_activation<ReLU6>("relu6");
    check_activation<Hardsigmoid>("hardsigmoid");
    check_activation<Hardswish>("hardswish");
    check_activation<Softplus<beta<"2">, threshold<"1">>>("softplus");
    check_activation<Mish>("mish");
}

TEST_CASE("gradients of LayerNorm, Softmax, LogSoftmax and Transpose equal torch.autograd's") {
    check_case<Sequential<Linear<6, 8>, LayerNorm<8>, GELU<>, LayerNorm<shape{3, 8}, elementwise_affine<false>>,
                          Flatten, Linear<24, 3>>,
               Input<3, 6>, 4>("layer_norms", {loss_kind::cross_entropy}, true);
    check_case<Sequential<Linear<4, 4, bias<false>>, LayerNorm2d<3, eps<"1e-6">>, Flatten, Linear<48, 3>>,
               Input<3, 4, 4>, 4>("layer_norm2d", {loss_kind::cross_entropy}, true);
    check_case<Sequential<Linear<6, 5, bias<false>>, Softmax<1>, Transpose<1, 2>, Linear<3, 4>, LogSoftmax<-1>, Flatten,
                          Linear<20, 2>>,
               Input<3, 6>, 4>("softmax_transpose", {loss_kind::bce}, true);
}
