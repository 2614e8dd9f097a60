// Block: children in registration order, the forward expression in data-flow order.
#include <catch2/catch.hpp>

#include <memory>

#include <typenet/typenet.hpp>

using namespace typenet;

namespace {

// Registration order decides the keys, not the order data flows in; a child may run twice.
using Reordered = Block<Named<"second", Linear<6, 5>>, Named<"first", Linear<5, 6>>, Named<"act", ReLU>,
                        Forward<Call<"first", "act", "second", "act">>>;
using R = Model<Reordered, Input<5>>;
static_assert(R::state_dict[0].key == "second.weight" && R::state_dict[2].key == "first.weight");
static_assert(R::output_shape == shape{5});
static_assert(R::module("first").input_shape == shape{5} && R::module("second").input_shape == shape{6});
static_assert(R::module("act").input_shape == shape{6}, "a child used twice is listed with its first input");

// Unnamed children are named by position; CallAt calls by position.
using Positional = Block<Linear<3, 4>, Named<"head", Linear<4, 2>>, Forward<Then<CallAt<0>, Call<"head">>>>;
static_assert(Model<Positional, Input<3>>::state_dict[0].key == "0.weight");
static_assert(Model<Positional, Input<3>>::state_dict[2].key == "head.weight");
static_assert(Positional::index_of("0") == 0 && Positional::index_of("head") == 1 && Positional::index_of("x") == 2);

// Absent: no key, no module, and calling it gives x.
using WithAbsent = Block<Named<"body", Linear<4, 4>>, Named<"shortcut", Absent>,
                         Forward<Add<Call<"body">, Call<"shortcut">>>>;
using A = Model<WithAbsent, Input<4>>;
static_assert(A::state_dict.size() == 2 && A::modules.size() == 2, "the model and body; no shortcut");
static_assert(std::is_same_v<typename detail::bind_t<Call<"shortcut">, WithAbsent>, detail::input_unit>);

// A Parameter's key is its path; it comes before the other children's entries (PyTorch's order).
using Owned = Block<Named<"conv", Conv2d<2, 2, 1>>, Named<"gamma", Parameter<shape{2, 1, 1}>>,
                    Forward<Mul<Call<"gamma">, Call<"conv">>>>;
using O = Model<Owned, Input<2, 3, 3>>;
static_assert(O::state_dict[0].key == "gamma" && O::state_dict[0].shape == shape{2, 1, 1});
static_assert(O::state_dict[1].key == "conv.weight");
static_assert(O::state_dict[0].offset == 0 && O::state_dict[1].offset == 64, "the block's layout follows");

// Shape errors are found where they are: a child's rule at the child's path (even when another
// child registered later runs first), a combinator's at the Block's path, with both shapes.
using ChildRule = Sequential<Named<"b", Block<Named<"fc", Linear<5, 4>>, Named<"skip", Linear<4, 4>>,
                                              Forward<Add<Call<"skip">, Call<"fc">>>>>>;
using child_analysis = detail::analysis<ChildRule, shape{4}>;
static_assert(!child_analysis::ok && child_analysis::counts.error.rule == shape_error::rule::in_features);
static_assert(std::string_view(child_analysis::error_path.data(), child_analysis::error_path.size()) == "b.fc");

using NodeRule = Sequential<Named<"b", Block<Named<"fc", Linear<4, 3>>, Forward<Add<Call<"fc">, Identity>>>>>;
using node_analysis = detail::analysis<NodeRule, shape{4}>;
static_assert(!node_analysis::ok && node_analysis::counts.error.rule == shape_error::rule::operand_shapes);
static_assert(std::string_view(node_analysis::error_path.data(), node_analysis::error_path.size()) == "b");
static_assert(node_analysis::counts.error.expected_shape == shape{3} && node_analysis::counts.error.actual_shape == shape{4});

// An unnamed module in an expression must have no state.
static_assert(detail::state_bytes<Flatten, float> == 0);

// Fusion inside a Call chain: conv, batch norm and activation run as one step.
using Fused = Block<Named<"conv", Conv2d<2, 4, 3>>, Named<"bn", BatchNorm2d<4>>, Named<"act", ReLU>,
                    Forward<Call<"conv", "bn", "act">>>;
static_assert(Fused::runs::chain::step_lengths[0] == 3);

}  // namespace

TEST_CASE("a Block runs its expression: a child used twice, Then, Call chains") {
    auto m = std::make_unique<R>();
    // first: weight[i][j] = (i == j), so first(x) = [x, 0]; second: weight[i][j] = (i == j) - 2 (j == 0),
    // so second(v)_i = v_i - 2 v_0. Biases are 0 (a new Model's state is zeros).
    auto first = m->at<"first.weight">();
    for (std::size_t i = 0; i < 6; ++i)
        for (std::size_t j = 0; j < 5; ++j) first[i * 5 + j] = i == j ? 1.f : 0.f;
    auto second = m->at<"second.weight">();
    for (std::size_t i = 0; i < 5; ++i)
        for (std::size_t j = 0; j < 6; ++j) second[i * 6 + j] = (i == j ? 1.f : 0.f) - (j == 0 ? 2.f : 0.f);
    const R::input_type x{3, -1, 2, 0.5f, -4};
    // relu(first(x)) = [3, 0, 2, 0.5, 0, 0]; second: [-3, -6, -4, -5.5, -6]; relu: all 0.
    const R::output_type y = m->forward(x);
    for (std::size_t i = 0; i < 5; ++i) CHECK(y[i] == 0.f);
    // Row 0 of second = [1, 0, ...]: y_0 = relu(3) = 3.
    second[0] = 1.f;
    CHECK(m->forward(x)[0] == 3.f);
}

TEST_CASE("a Parameter scales channels; an Absent shortcut is x") {
    auto o = std::make_unique<O>();
    auto gamma = o->at<"gamma">();
    gamma[0] = 2.f;
    gamma[1] = -1.f;
    auto w = o->at<"conv.weight">();  // a 1x1 convolution: identity
    w[0] = 1.f;
    w[3] = 1.f;
    O::input_type x{};
    for (std::size_t i = 0; i < x.size; ++i) x[i] = float(i);
    const O::output_type y = o->forward(x);
    for (std::size_t i = 0; i < 9; ++i) CHECK(y[i] == 2.f * float(i));
    for (std::size_t i = 9; i < 18; ++i) CHECK(y[i] == -float(i));

    auto a = std::make_unique<A>();  // body all zeros: the output is x
    const A::output_type z = a->forward({1, -2, 3, -4});
    CHECK((z[0] == 1 && z[1] == -2 && z[2] == 3 && z[3] == -4));
}
