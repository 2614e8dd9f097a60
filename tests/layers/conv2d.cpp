#include <catch2/catch.hpp>

#include <typenet/layers/conv2d.hpp>

using namespace typenet;
using rule = shape_error::rule;

// Output sizes: floor((in + 2 padding - dilation (kernel - 1) - 1) / stride) + 1, as nn.Conv2d.
static_assert(Conv2d<1, 32, 3>::infer({1, 28, 28}).output == shape{32, 26, 26});
static_assert(Conv2d<1, 32, 3, padding<1>>::infer({1, 28, 28}).output == shape{32, 28, 28});
static_assert(Conv2d<3, 8, 3, stride<2>, padding<1>>::infer({3, 11, 13}).output == shape{8, 6, 7});
// (12 + 4 - 2*2 - 1) / 2 + 1 = 6 rows; (9 + 2 - 4 - 1) / 1 + 1 = 7 columns.
static_assert(Conv2d<4, 6, size2{3, 5}, stride<2, 1>, padding<2, 1>, dilation<2, 1>, groups<2>>::infer({4, 12, 9})
                  .output == shape{6, 6, 7});

// state_dict entries: weight [out, in / groups, kh, kw], then bias [out] unless bias<false>.
static_assert(Conv2d<4, 6, size2{3, 5}, groups<2>>::state[0].shape == shape{6, 2, 3, 5});
static_assert(Conv2d<4, 6, 3>::state.size() == 2 && Conv2d<4, 6, 3>::state[1].name == "bias");
static_assert(Conv2d<4, 6, 3, bias<false>>::state.size() == 1);

// Broken rules and the two sizes they report.
constexpr bool fails(shape_check c, rule r, std::size_t expected, std::size_t actual) {
    return c.rule == r && c.expected == expected && c.actual == actual;
}
static_assert(fails(Conv2d<3, 8, 3>::infer({1, 28, 28}), rule::in_channels, 3, 1));
static_assert(fails(Conv2d<3, 8, 3>::infer({3, 28}), rule::input_rank, 3, 2));
static_assert(fails(Conv2d<1, 8, 5>::infer({1, 4, 9}), rule::kernel_height, 5, 4));
static_assert(fails(Conv2d<1, 8, size2{1, 5}, padding<0, 1>>::infer({1, 4, 2}), rule::kernel_width, 5, 4));
static_assert(fails(Conv2d<1, 8, 3, dilation<2>>::infer({1, 4, 9}), rule::kernel_height, 5, 4), "dilation counts");
static_assert(fails(Conv2d<6, 8, 3, groups<4>>::infer({6, 9, 9}), rule::groups_in_channels, 4, 6));
static_assert(fails(Conv2d<8, 6, 3, groups<4>>::infer({8, 9, 9}), rule::groups_out_channels, 4, 6));

TEST_CASE("Conv2d options keep PyTorch's defaults") {
    using C = Conv2d<2, 4, 3>;
    CHECK(C::stride_h == 1);
    CHECK(C::padding_w == 0);
    CHECK(C::dilation_h == 1);
    CHECK(C::groups == 1);
    CHECK(C::has_bias);
}
