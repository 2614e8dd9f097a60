// ConvTranspose2d and ConvTranspose1d: shapes and state as PyTorch's, their own shape rules, and
// transposed convolutions worked by hand.
#include <catch2/catch.hpp>

#include <vector>

#include <typenet/layers/conv_transpose1d.hpp>
#include <typenet/layers/conv_transpose2d.hpp>

using namespace typenet;

// Output: (H - 1) * stride - 2 * padding + dilation * (kernel - 1) + output_padding + 1.
static_assert(ConvTranspose2d<3, 5, 3>::infer({3, 5, 6}).output == shape{5, 7, 8});
static_assert(ConvTranspose2d<4, 6, 4, stride<2>, padding<1>>::infer({4, 5, 7}).output == shape{6, 10, 14});
// Height (5 - 1) * 2 - 2 + 2 + 1 + 1 = 10; width (4 - 1) * 3 - 4 + 2 * 1 + 2 + 1 = 10.
static_assert(ConvTranspose2d<4, 6, size2{3, 2}, stride<2, 3>, padding<1, 2>, output_padding<1, 2>, groups<2>,
                              dilation<1, 2>>::infer({4, 5, 4})
                  .output == shape{6, 10, 10});
// (7 - 1) * 3 - 2 + 2 * 2 + 2 + 1 = 23
static_assert(ConvTranspose1d<4, 6, 3, stride<3>, padding<1>, output_padding<2>, groups<2>, dilation<2>>::infer({4, 7})
                  .output == shape{6, 23});

// state_dict: weight [in, out / groups, kh, kw] (PyTorch's transposed layout), bias [out].
static_assert(ConvTranspose2d<4, 6, size2{3, 2}, groups<2>>::state[0].shape == shape{4, 3, 3, 2});
static_assert(ConvTranspose2d<4, 6, 3>::state[1].shape == shape{6});
static_assert(ConvTranspose2d<4, 6, 3, bias<false>>::state.size() == 1);
static_assert(ConvTranspose1d<4, 6, 3, groups<2>>::state[0].shape == shape{4, 3, 3});

constexpr bool fails(shape_check c, std::string_view starts, std::size_t expected, std::size_t actual) {
    return c.rule == shape_error::rule::custom && c.message.starts_with(starts) && c.expected == expected &&
           c.actual == actual;
}
static_assert(fails(ConvTranspose2d<3, 5, 3>::infer({3, 5}), "ConvTranspose2d: takes a per-sample input [C, H, W]", 3, 2));
static_assert(fails(ConvTranspose2d<3, 5, 3>::infer({4, 5, 5}), "ConvTranspose2d: in_channels", 3, 4));
static_assert(fails(ConvTranspose2d<6, 8, 3, groups<4>>::infer({6, 5, 5}), "ConvTranspose2d: in_channels (second", 4, 6));
static_assert(fails(ConvTranspose2d<8, 6, 3, groups<4>>::infer({8, 5, 5}), "ConvTranspose2d: out_channels (second", 4, 6));
// Kernel 3 on one row: (1 - 1) + 2 + 1 = 3 rows before the padding; padding 2 takes 4.
static_assert(fails(ConvTranspose2d<1, 1, 3, padding<2>>::infer({1, 1, 5}), "ConvTranspose2d: the padding taken off the output's height", 4, 3));
static_assert(fails(ConvTranspose2d<1, 1, 3, padding<0, 2>>::infer({1, 5, 1}), "ConvTranspose2d: the padding taken off the output's width", 4, 3));
static_assert(fails(ConvTranspose1d<1, 1, 3, padding<2>>::infer({1, 1}), "ConvTranspose1d: the padding", 4, 3));
static_assert(fails(ConvTranspose1d<1, 1, 3>::infer({1, 1, 1}), "ConvTranspose1d: takes a per-sample input [C, L]", 2, 3));
static_assert(fails(ConvTranspose1d<2, 1, 3>::infer({1, 4}), "ConvTranspose1d: in_channels", 2, 1));

namespace {

template <class L>
struct state_block {
    alignas(64) float values[64] = {};
    float* entry(std::size_t k) { return values + (k == 0 ? 0 : layer_params<L, float>::template offset<1>() / sizeof(float)); }
    layer_params<L, float> params() const { return layer_params<L, float>(reinterpret_cast<const std::byte*>(values)); }
};

}  // namespace

TEST_CASE("ConvTranspose2d with stride 2 paints each input pixel's kernel-sized block") {
    // Kernel 2, stride 2: out[2i + a][2j + b] = x[i][j] * w[a][b], no overlap; bias 0.5 everywhere.
    using C = ConvTranspose2d<1, 1, 2, stride<2>>;
    state_block<C> s;
    const float w[4] = {1, 10, 100, 1000};
    std::copy(w, w + 4, s.entry(0));
    s.entry(1)[0] = 0.5f;
    const float x[4] = {1, 2, 3, 4};
    float y[16] = {};
    std::vector<float> scratch(C::scratch_elements<float>({1, 2, 2}, 1));
    C::propagate<float, shape{1, 2, 2}, 1>(s.params(), x, y, scratch.data());
    CHECK(y[0 * 4 + 0] == 1 * 1 + 0.5f);
    CHECK(y[0 * 4 + 3] == 2 * 10 + 0.5f);     // i = 0, j = 1, a = 0, b = 1
    CHECK(y[2 * 4 + 1] == 3 * 10 + 0.5f);     // i = 1, j = 0, a = 0, b = 1
    CHECK(y[3 * 4 + 3] == 4 * 1000 + 0.5f);   // i = 1, j = 1, a = 1, b = 1
}

TEST_CASE("ConvTranspose2d crops the padding, and leaves output_padding to the bias") {
    // Same weights and input. Padding 1 crops the 4x4 image above to its middle 2x2, full rows and
    // columns 1 and 2: ((2 - 1) * 2 - 2 + 1 + 1 = 2).
    const float w[4] = {1, 10, 100, 1000};
    const float x[4] = {1, 2, 3, 4};
    using Cropped = ConvTranspose2d<1, 1, 2, stride<2>, padding<1>>;
    static_assert(Cropped::infer({1, 2, 2}).output == shape{1, 2, 2});
    state_block<Cropped> s;
    std::copy(w, w + 4, s.entry(0));
    s.entry(1)[0] = 0.5f;
    float y[4] = {};
    std::vector<float> scratch(Cropped::scratch_elements<float>({1, 2, 2}, 1));
    Cropped::propagate<float, shape{1, 2, 2}, 1>(s.params(), x, y, scratch.data());
    CHECK(y[0] == 1 * 1000 + 0.5f);  // full (1, 1): i = 0, j = 0, a = 1, b = 1
    CHECK(y[1] == 2 * 100 + 0.5f);   // full (1, 2): i = 0, j = 1, a = 1, b = 0
    CHECK(y[2] == 3 * 10 + 0.5f);    // full (2, 1): i = 1, j = 0, a = 0, b = 1
    CHECK(y[3] == 4 * 1 + 0.5f);     // full (2, 2): i = 1, j = 1, a = 0, b = 0

    // output_padding 1 adds a row and a column that no input pixel reaches: the bias alone.
    using Padded = ConvTranspose2d<1, 1, 2, stride<2>, output_padding<1>>;
    static_assert(Padded::infer({1, 2, 2}).output == shape{1, 5, 5});
    state_block<Padded> p;
    std::copy(w, w + 4, p.entry(0));
    p.entry(1)[0] = 0.5f;
    float z[25] = {};
    std::vector<float> padded_scratch(Padded::scratch_elements<float>({1, 2, 2}, 1));
    Padded::propagate<float, shape{1, 2, 2}, 1>(p.params(), x, z, padded_scratch.data());
    CHECK(z[3 * 5 + 3] == 4 * 1000 + 0.5f);
    for (std::size_t k = 0; k < 5; ++k) {
        CHECK(z[4 * 5 + k] == 0.5f);
        CHECK(z[k * 5 + 4] == 0.5f);
    }
}

TEST_CASE("ConvTranspose1d adds overlapping windows") {
    // Kernel 3, stride 1, weights {1, 2, 3}, no bias, on x = {1, 1}: out[o] = sum over i of
    // x[i] * w[o - i] = {1, 1 + 2, 2 + 3, 3}.
    using C = ConvTranspose1d<1, 1, 3, bias<false>>;
    state_block<C> s;
    const float w[3] = {1, 2, 3};
    std::copy(w, w + 3, s.entry(0));
    const float x[2] = {1, 1};
    float y[4] = {};
    std::vector<float> scratch(C::scratch_elements<float>({1, 2}, 1));
    C::propagate<float, shape{1, 2}, 1>(s.params(), x, y, scratch.data());
    CHECK(y[0] == 1);
    CHECK(y[1] == 3);
    CHECK(y[2] == 5);
    CHECK(y[3] == 3);
}
