#include <catch2/catch.hpp>

#include <cmath>

#include <typenet/layers/adaptive_avg_pool2d.hpp>
#include <typenet/layers/avg_pool2d.hpp>
#include <typenet/layers/max_pool2d.hpp>

using namespace typenet;
using rule = shape_error::rule;

static_assert(MaxPool2d<2>::infer({32, 28, 28}).output == shape{32, 14, 14}, "stride defaults to the kernel");
static_assert(MaxPool2d<2>::infer({64, 7, 7}).output == shape{64, 3, 3});
static_assert(MaxPool2d<2, ceil_mode<true>>::infer({64, 7, 7}).output == shape{64, 4, 4});
// ceil_mode drops a last window that would start in the right padding: in 5, kernel 2, stride 2,
// padding 1: ceil((5 + 2 - 2) / 2) + 1 = 4, but window 3 starts at 3*2 = 6 >= 5 + 1, so 3.
static_assert(MaxPool2d<2, padding<1>, ceil_mode<true>>::infer({1, 5, 5}).output == shape{1, 3, 3});
static_assert(MaxPool2d<3, stride<2>, padding<1>, ceil_mode<true>>::infer({5, 10, 9}).output == shape{5, 6, 5});
static_assert(AvgPool2d<size2{2, 3}>::infer({3, 7, 8}).output == shape{3, 3, 2});
static_assert(AdaptiveAvgPool2d<4>::infer({128, 7, 7}).output == shape{128, 4, 4});

// PyTorch's adaptive windows for 7 -> 4: [0,2) [1,4) [3,6) [5,7).
static_assert(AdaptiveAvgPool2d<4>::window_start(1, 4, 7) == 1 && AdaptiveAvgPool2d<4>::window_end(1, 4, 7) == 4);
static_assert(AdaptiveAvgPool2d<4>::window_start(3, 4, 7) == 5 && AdaptiveAvgPool2d<4>::window_end(3, 4, 7) == 7);

// Windows larger than the padded input give an empty output.
static_assert(MaxPool2d<3>::infer({8, 2, 9}).rule == rule::kernel_height);
static_assert(MaxPool2d<3>::infer({8, 2, 9}).expected == 3 && MaxPool2d<3>::infer({8, 2, 9}).actual == 2);
static_assert(AvgPool2d<size2{1, 4}>::infer({8, 9, 3}).rule == rule::kernel_width);
// PyTorch: padding at most half of the (effective) kernel.
static_assert(MaxPool2d<3, padding<2>>::infer({8, 9, 9}).rule == rule::padding_height);
// PyTorch bounds the padding by half of the kernel size, not of the dilated window:
// nn.MaxPool2d(3, padding=2, dilation=2) raises "pad should be at most half of kernel size".
static_assert(MaxPool2d<3, padding<2>, dilation<2>>::infer({8, 9, 9}).rule == shape_error::rule::padding_height);
static_assert(MaxPool2d<3, padding<1>, dilation<2>>::infer({8, 9, 9}).output == shape{8, 3, 3});
static_assert(AvgPool2d<2, padding<0, 2>>::infer({8, 9, 9}).rule == rule::padding_width);
static_assert(MaxPool2d<2>::infer({8, 9}).rule == rule::input_rank);

TEST_CASE("MaxPool2d propagates NaN and ignores padding") {
    using P = MaxPool2d<2, padding<1>>;
    const float x[4] = {-5, -6, NAN, -7};  // one 2x2 plane
    float y[4] = {};
    float scratch[P::scratch_elements<float>(shape{1, 2, 2}, 1)];
    P::propagate<float, shape{1, 2, 2}, 1>({nullptr}, x, y, scratch);
    CHECK(y[0] == -5);  // window: padding, padding, padding, -5
    CHECK(y[1] == -6);
    CHECK(std::isnan(y[2]));
    CHECK(y[3] == -7);
}

TEST_CASE("MaxPool2d's backward pass sends each gradient where PyTorch's indices point") {
    // PyTorch 1.13, F.max_pool2d(x, 2, stride=1) on this 3x3 plane, backward with [[1, 10], [100, 1000]],
    // gives [[0, 10, 0], [101, 0, 0], [0, 1000, 0]]: a window's last NaN, else its first maximum (3, 3).
    using P = MaxPool2d<2, stride<1>>;
    constexpr shape In{1, 3, 3};
    const float x[9] = {1, NAN, 2, NAN, 0, 2, 3, 3, -1};
    float y[4] = {};
    float scratch[P::scratch_elements<float>(In, 1)];
    P::propagate<float, In, 1>({nullptr}, x, y, scratch);
    const float grad_out[4] = {1, 10, 100, 1000};
    float grad_in[9] = {};
    P::backward<float, In, 1>({{nullptr}, {}, x, y, grad_out, grad_in, nullptr, nullptr, true});
    const float expected[9] = {0, 10, 0, 101, 0, 0, 0, 1000, 0};
    for (std::size_t i = 0; i < 9; ++i) CHECK(grad_in[i] == expected[i]);
    // A window of -inf only: its first position (PyTorch's index starts there).
    const float low[4] = {-INFINITY, -INFINITY, -INFINITY, -INFINITY};
    float one = 0, to_low[4] = {};
    const float g = 1;
    MaxPool2d<2>::backward<float, shape{1, 2, 2}, 1>({{nullptr}, {}, low, &one, &g, to_low, nullptr, nullptr, true});
    CHECK((to_low[0] == 1 && to_low[1] == 0 && to_low[2] == 0 && to_low[3] == 0));
}
