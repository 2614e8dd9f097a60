#include <catch2/catch.hpp>

#include <typenet/typenet.hpp>

using namespace typenet;

// Positional names count every child, parameterless ones too (the seed's features.0, .3, .6).
using Positional = Sequential<Conv2d<1, 2, 3>, ReLU, MaxPool2d<2>, Conv2d<2, 4, 3>>;
using P = Model<Positional, Input<1, 12, 12>>;
static_assert(P::state_dict[0].key == "0.weight" && P::state_dict[2].key == "3.weight");

// Named children, like nn.Sequential(OrderedDict([...])), nested to any depth.
using Named3 = Sequential<Named<"a", Sequential<Named<"b", Sequential<Named<"c", Linear<2, 2>>>>>>>;
static_assert(Model<Named3, Input<2>>::state_dict[0].key == "a.b.c.weight");

// Mixed: unnamed children keep their position.
using Mixed = Sequential<Linear<2, 3>, Named<"head", Linear<3, 1>>>;
static_assert(Model<Mixed, Input<2>>::state_dict[2].key == "head.weight");

// An empty Sequential is the identity, as nn.Sequential().
static_assert(Model<Sequential<>, Input<3>>::output_shape == shape{3});

// The chain plan, step by step: in-place steps reuse the buffer they read. (No fusion here: a
// Linear followed by BatchNorm1d starts no chain; see fusion.hpp.)
using Chain = Sequential<Linear<4, 8>, Dropout<>, BatchNorm1d<8>, Dropout<>, Linear<8, 16>>;
constexpr auto plan = Chain::plan<float>(shape{4});
static_assert(plan.steps == 5);
static_assert(plan.source[0] == detail::chain_input);
static_assert(plan.target[4] == detail::chain_output);
static_assert(plan.target[0] == plan.source[1] && plan.source[1] == plan.target[1], "Dropout runs in place");
static_assert(plan.source[4] != detail::chain_output, "Linear never writes over its input");
static_assert(plan.a_elements + plan.b_elements == 8, "one buffer of 8 values serves every step");
// Linear layers in a row, with ReLU, Dropout or Identity between them, run as one step.
static_assert(Sequential<Linear<4, 8>, ReLU, Dropout<>, Linear<8, 16>, ReLU, Linear<16, 2>>::step_lengths[0] == 6);
static_assert(!Chain::in_place && Sequential<ReLU, Dropout<>>::in_place);

// Fusion: Conv2d [BatchNorm2d] [ReLU] [MaxPool2d] run as one step; the state_dict is unchanged.
using Features = Sequential<Conv2d<1, 4, 3>, BatchNorm2d<4>, ReLU, MaxPool2d<2>, Conv2d<4, 4, 3>, ReLU, Linear<3, 2>>;
static_assert(Features::step_lengths[0] == 4 && Features::step_lengths[4] == 2 && Features::step_lengths[6] == 1);
static_assert(Sequential<Conv2d<1, 4, 3>, MaxPool2d<2, padding<1>>>::step_lengths[0] == 1,
              "a padded pooling is not fused");
static_assert(Sequential<Conv2d<1, 4, 3>, BatchNorm2d<4, track_running_stats<false>>>::step_lengths[0] == 1,
              "batch statistics are not an affine map");
static_assert(Model<Features, Input<1, 12, 12>>::state_dict.size() == 2 + 5 + 2 + 2);
static_assert(Sequential<Linear<4, 4>, ReLU, BatchNorm1d<4>>::step_lengths[0] == 2, "Linear ReLU is one step");

TEST_CASE("a chain of in-place children leaves the input untouched") {
    using M = Model<Sequential<ReLU, Identity>, Input<3>>;
    M model;
    const M::input_type x{-1, 2, -3};
    const M::output_type y = model.forward(x);
    CHECK((x[0] == -1 && x[2] == -3));
    CHECK((y[0] == 0 && y[1] == 2 && y[2] == 0));
}

TEST_CASE("an empty Sequential copies its input") {
    Model<Sequential<>, Input<2>> model;
    const auto y = model.forward({5, 6});
    CHECK((y[0] == 5 && y[1] == 6));
}
