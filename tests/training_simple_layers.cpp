// Training of the data-movement layers (ChannelShuffle, Narrow, ConstantPad1d, Mean, LastStep):
// gradients against torch.autograd (training_support.hpp, cases of
// reference/training_simple_layers.py).
#include "training_support.hpp"

namespace {
using namespace typenet;
using namespace training;
}  // namespace

TEST_CASE("gradients of ChannelShuffle, Narrow, ConstantPad1d, Mean and LastStep equal torch.autograd's") {
    check_case<Sequential<Linear<4, 5>, ChannelShuffle<2>, Narrow<1, 1, 4>, Narrow<-1, -3, 3>,
                          ConstantPad1d<2, 1, "-0.5">, Flatten, Linear<24, 3>>,
               Input<6, 4>, 3>("shuffle_narrow_pad", {loss_kind::cross_entropy}, true);
    check_case<Sequential<Linear<4, 5>, Mean<2>, LastStep, Linear<5, 2>>, Input<4, 3, 4>, 3>(
        "mean_last_step", {loss_kind::mse}, true);
}
