// Conv1d: shapes and state as nn.Conv1d, its own shape rules, and a convolution worked by hand.
#include <catch2/catch.hpp>

#include <vector>

#include <typenet/layers/conv1d.hpp>

using namespace typenet;

// Output length: floor((L + 2 padding - dilation (kernel - 1) - 1) / stride) + 1, as nn.Conv1d.
static_assert(Conv1d<3, 5, 3>::infer({3, 11}).output == shape{5, 9});
static_assert(Conv1d<3, 5, 3, padding<1>>::infer({3, 11}).output == shape{5, 11});
// (17 + 6 - 9) / 2 + 1 = 8
static_assert(Conv1d<4, 6, 5, stride<2>, padding<3>, dilation<2>, groups<2>>::infer({4, 17}).output == shape{6, 8});

// state_dict: weight [out, in / groups, k], then bias [out] unless bias<false>; the same bytes as
// the Conv2d it runs as, whose weight is [out, in / groups, 1, k].
static_assert(Conv1d<4, 6, 5, groups<2>>::state[0].shape == shape{6, 2, 5});
static_assert(Conv1d<4, 6, 5>::state.size() == 2 && Conv1d<4, 6, 5>::state[1].shape == shape{6});
static_assert(Conv1d<4, 6, 5, bias<false>>::state.size() == 1);
static_assert(Conv1d<4, 6, 5>::conv2d::state[0].shape == shape{6, 4, 1, 5});
static_assert(layer_params<Conv1d<4, 6, 5>, float>::offset<1>() == layer_params<Conv1d<4, 6, 5>::conv2d, float>::offset<1>());

// Its own rules, naming the layer, with the two sizes.
constexpr bool fails(shape_check c, std::string_view starts, std::size_t expected, std::size_t actual) {
    return c.rule == shape_error::rule::custom && c.message.starts_with(starts) && c.expected == expected &&
           c.actual == actual;
}
static_assert(fails(Conv1d<3, 5, 3>::infer({3, 8, 8}), "Conv1d: takes a per-sample input [C, L]", 2, 3));
static_assert(fails(Conv1d<3, 5, 3>::infer({4, 8}), "Conv1d: in_channels", 3, 4));
static_assert(fails(Conv1d<6, 8, 3, groups<4>>::infer({6, 8}), "Conv1d: in_channels (second number) must be divisible", 4, 6));
static_assert(fails(Conv1d<8, 6, 3, groups<4>>::infer({8, 8}), "Conv1d: out_channels (second number) must be divisible", 4, 6));
static_assert(fails(Conv1d<1, 1, 3, dilation<2>, padding<1>>::infer({1, 2}), "Conv1d: the kernel's length", 5, 4));

TEST_CASE("Conv1d computes a cross-correlation with stride, padding and bias") {
    // Weight [1, 1, 2] = {1, -1}, bias 0.5, padding 1, stride 2, on x = {1, 2, 3}: the padded input
    // is {0, 1, 2, 3, 0}; windows start at 0 and 2: 0*1 + 1*(-1) + 0.5 = -0.5 and 2 - 3 + 0.5 = -0.5.
    using C = Conv1d<1, 1, 2, padding<1>, stride<2>>;
    static_assert(C::infer({1, 3}).output == shape{1, 2});
    alignas(64) float state[32] = {};
    state[0] = 1;
    state[1] = -1;
    state[layer_params<C, float>::offset<1>() / sizeof(float)] = 0.5f;
    std::vector<float> scratch(C::scratch_elements<float>({1, 3}, 1));
    const float x[3] = {1, 2, 3};
    float y[2] = {};
    C::propagate<float, shape{1, 3}, 1>(layer_params<C, float>(reinterpret_cast<const std::byte*>(state)), x, y,
                                        scratch.data());
    CHECK(y[0] == -0.5f);
    CHECK(y[1] == -0.5f);
}
