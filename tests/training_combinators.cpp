// Gradients through combinators against torch.autograd (training_support.hpp): Residual, Add, Mul,
// Cat, Concat, Gate, Parameter, Absent, children called twice; the cases and their PyTorch twins are
// reference/training_combinators.py's CASES.
#include "training_support.hpp"

namespace {
using namespace typenet;
using namespace training;

using ResidualMLP = Sequential<Linear<6, 8>, Residual<Sequential<Linear<8, 8>, Tanh, Linear<8, 8>>>,
                               Residual<Sequential<Linear<8, 8>, ReLU, Linear<8, 8>>, Identity, ReLU>, Linear<8, 3>>;
using ResidualProjection = Sequential<Residual<Sequential<Linear<6, 8>, Tanh>, Linear<6, 8>, Sigmoid>, Linear<8, 2>>;
using Gated = Sequential<Linear<6, 6>,
                         Block<Named<"a", Linear<6, 8>>, Named<"b", Linear<6, 8>>,
                               Forward<Mul<Then<Call<"a">, Tanh>, Then<Call<"b">, Sigmoid>>>>,
                         Linear<8, 3>>;
// The same, frozen in the type: branch a, or the whole Block.
using GatedFrozenA = Sequential<Linear<6, 6>,
                                Block<Named<"a", Frozen<Linear<6, 8>>>, Named<"b", Linear<6, 8>>,
                                      Forward<Mul<Then<Call<"a">, Tanh>, Then<Call<"b">, Sigmoid>>>>,
                                Linear<8, 3>>;
using GatedFrozenBlock = Sequential<Linear<6, 6>,
                                    Frozen<Block<Named<"a", Linear<6, 8>>, Named<"b", Linear<6, 8>>,
                                                 Forward<Mul<Then<Call<"a">, Tanh>, Then<Call<"b">, Sigmoid>>>>>,
                                    Linear<8, 3>>;
using ConcatBranches = Sequential<Concat<Linear<6, 5>, Sequential<Linear<6, 4>, ReLU>>, Tanh, Linear<9, 3>>;
using CatDims = Sequential<Block<Named<"a", Linear<4, 4>>, Forward<Cat<Call<"a">, Identity>>>,
                           Block<Named<"a", Linear<4, 3>>, Named<"b", Linear<4, 5>>,
                                 Forward<Cat<dim<-1>, Call<"a">, Call<"b">>>>,
                           Flatten, Linear<32, 3>>;
using SharedWeights = Sequential<Block<Named<"fc", Linear<6, 6>>, Named<"act", Tanh>,
                                       Forward<Add<Call<"fc", "act", "fc">, Identity>>>,
                                 Block<Named<"fc", Linear<6, 6>>, Forward<Mul<Call<"fc">, Call<"fc">>>>, Linear<6, 3>>;
using ParametersBroadcast =
    Sequential<Linear<4, 4>,
               Block<Named<"gamma", Parameter<shape{3, 1}>>, Named<"fc", Linear<4, 4>>, Named<"beta", Parameter<shape{4}>>,
                     Forward<Add<Mul<Call<"gamma">, Call<"fc">>, Call<"beta">, Identity>>>,
               Flatten, Linear<12, 3>>;
using GateAbsent = Sequential<Linear<6, 8>, Gate<Sequential<Linear<8, 8>, Sigmoid>>,
                              Block<Named<"body", Linear<8, 8>>, Named<"shortcut", Absent>,
                                    Forward<Then<Add<Call<"body">, Call<"shortcut">>, ReLU>>>,
                              Linear<8, 3>>;

// A ResNet block without BatchNorm, and ConvNeXt's layer scale (a [C, 1, 1] Parameter broadcast).
using ConvResidual =
    Sequential<Conv2d<2, 4, 3, padding<1>>,
               Residual<Sequential<Conv2d<4, 4, 3, padding<1>>, ReLU, Conv2d<4, 4, 3, padding<1>, bias<false>>>,
                        Identity, ReLU>,
               Block<Named<"conv", Conv2d<4, 4, 3, padding<1>>>, Named<"gamma", Parameter<shape{4, 1, 1}>>,
                     Forward<Add<Mul<Call<"gamma">, Call<"conv">>, Identity>>>,
               Flatten, Linear<100, 3>>;

}  // namespace

TEST_CASE("gradients through Residual, Add, Mul, Cat and Gate equal torch.autograd's") {
    check_case<ResidualMLP, Input<6>, 5>("residual_mlp", {loss_kind::cross_entropy}, true);
    check_case<ResidualProjection, Input<6>, 4>("residual_projection", {loss_kind::mse}, true);
    check_case<Gated, Input<6>, 5>("gated_tanh_sigmoid", {loss_kind::cross_entropy}, true);
    check_case<ConcatBranches, Input<6>, 4>("concat_branches", {loss_kind::bce}, true);
    check_case<CatDims, Input<2, 4>, 3>("cat_dims", {loss_kind::cross_entropy}, true);
    check_case<GateAbsent, Input<6>, 5>("gate_absent", {loss_kind::cross_entropy}, true);
    check_case<ConvResidual, Input<2, 5, 5>, 2>("conv_residual_layer_scale", {loss_kind::cross_entropy}, true);
}

TEST_CASE("a child called twice accumulates both gradients; a Parameter sums its broadcast gradient") {
    check_case<SharedWeights, Input<6>, 4>("shared_weights", {loss_kind::mse}, true);
    check_case<ParametersBroadcast, Input<3, 4>, 3>("parameters_broadcast", {loss_kind::cross_entropy}, true);
}

TEST_CASE("inside a Block, a frozen branch passes gradients on, and branches learn without an input gradient") {
    check_case<Gated, Input<6>, 5>("gated_frozen_branch", {loss_kind::cross_entropy}, true, {"1.a"});
    check_case<Gated, Input<6>, 5>("gated_frozen_first", {loss_kind::cross_entropy}, true, {"0"});
    check_case<GatedFrozenA, Input<6>, 5>("gated_frozen_branch", {loss_kind::cross_entropy}, true);
    check_case<GatedFrozenBlock, Input<6>, 5>("gated_frozen_block", {loss_kind::cross_entropy}, true);
}
