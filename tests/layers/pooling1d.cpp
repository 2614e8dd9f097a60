// MaxPool1d, AvgPool1d, AdaptiveAvgPool1d, AdaptiveMaxPool1d and AdaptiveMaxPool2d: shapes as
// PyTorch's, their own rules, NaN propagation and windows worked by hand.
#include <catch2/catch.hpp>

#include <cmath>

#include <typenet/layers/adaptive_avg_pool1d.hpp>
#include <typenet/layers/adaptive_max_pool1d.hpp>
#include <typenet/layers/adaptive_max_pool2d.hpp>
#include <typenet/layers/avg_pool1d.hpp>
#include <typenet/layers/max_pool1d.hpp>

using namespace typenet;

static_assert(MaxPool1d<2>::infer({4, 9}).output == shape{4, 4}, "stride defaults to the kernel");
// Window 2 * 3 + 1 = 7, ceil((16 + 4 - 7) / 3) + 1 = 6, and the last window starts at 15 < 16 + 2.
static_assert(MaxPool1d<4, stride<3>, padding<2>, dilation<2>, ceil_mode<true>>::infer({3, 16}).output == shape{3, 6});
// ceil_mode drops a last window that would start in the right padding: ceil((5 + 2 - 2) / 2) + 1 = 4,
// but window 3 would start at 3 * 2 = 6 >= 5 + 1.
static_assert(AvgPool1d<2, padding<1>, ceil_mode<true>>::infer({1, 5}).output == shape{1, 3});
static_assert(AvgPool1d<3>::infer({4, 10}).output == shape{4, 3});
static_assert(AdaptiveAvgPool1d<4>::infer({3, 10}).output == shape{3, 4});
static_assert(AdaptiveMaxPool1d<5>::infer({3, 2}).output == shape{3, 5});
static_assert(AdaptiveMaxPool2d<3, 5>::infer({2, 10, 3}).output == shape{2, 3, 5});
// PyTorch's adaptive windows for 7 -> 4: [0,2) [1,4) [3,6) [5,7).
static_assert(detail::adaptive_windows<7, 4>[1].start == 1 && detail::adaptive_windows<7, 4>[1].end == 4);
static_assert(detail::adaptive_windows<7, 4>[3].start == 5 && detail::adaptive_windows<7, 4>[3].end == 7);

constexpr bool fails(shape_check c, std::string_view starts, std::size_t expected, std::size_t actual) {
    return c.rule == shape_error::rule::custom && c.message.starts_with(starts) && c.expected == expected &&
           c.actual == actual;
}
// PyTorch's max_pool1d checks padding against half of kernel_size, the dilation not counted
// (nn.MaxPool1d(3, padding=2, dilation=2) raises), unlike the effective window MaxPool2d uses.
static_assert(fails(MaxPool1d<3, padding<2>, dilation<2>>::infer({1, 9}), "MaxPool1d: padding", 2, 1));
static_assert(MaxPool1d<4, padding<2>, dilation<2>>::infer({1, 9}).ok());
static_assert(fails(AvgPool1d<3, padding<2>>::infer({1, 9}), "AvgPool1d: padding", 2, 1));
static_assert(fails(MaxPool1d<5>::infer({2, 4}), "MaxPool1d: the window", 5, 4));
static_assert(fails(AvgPool1d<2>::infer({2, 4, 4}), "AvgPool1d: takes a per-sample input [C, L]", 2, 3));
static_assert(fails(AdaptiveAvgPool1d<2>::infer({2, 4, 4}), "AdaptiveAvgPool1d: takes", 2, 3));
static_assert(fails(AdaptiveMaxPool1d<2>::infer({2, 4, 4}), "AdaptiveMaxPool1d: takes", 2, 3));
static_assert(fails(AdaptiveMaxPool2d<2>::infer({2, 4}), "AdaptiveMaxPool2d: takes", 3, 2));

TEST_CASE("MaxPool1d propagates NaN, ignores padding and follows the dilation") {
    // Kernel 2, dilation 2, padding 1, stride 2 over {-5, NaN, -7, -1}: windows read positions
    // {-1, 1}, {1, 3}: max(pad, NaN) = NaN and max(NaN, -1) = NaN; with x[1] = -6 instead:
    // {-6} and max(-6, -1) = -1.
    using P = MaxPool1d<2, dilation<2>, padding<1>>;
    static_assert(P::infer({1, 4}).output == shape{1, 2});
    float x[4] = {-5, NAN, -7, -1};
    float y[2] = {};
    P::propagate<float, shape{1, 4}, 1>({nullptr}, x, y);
    CHECK(std::isnan(y[0]));
    CHECK(std::isnan(y[1]));
    x[1] = -6;
    P::propagate<float, shape{1, 4}, 1>({nullptr}, x, y);
    CHECK(y[0] == -6);
    CHECK(y[1] == -1);
}

TEST_CASE("AvgPool1d divides by the window, with or without the padding") {
    // Kernel 2, padding 1 over {2, 4}: windows {pad, 2}, {4, pad}: 2 / 2 and 4 / 2 when the padding
    // counts, 2 / 1 and 4 / 1 when it does not.
    const double x[2] = {2, 4};
    double y[2] = {};
    AvgPool1d<2, padding<1>>::propagate<double, shape{1, 2}, 1>({nullptr}, x, y);
    CHECK((y[0] == 1 && y[1] == 2));
    AvgPool1d<2, padding<1>, count_include_pad<false>>::propagate<double, shape{1, 2}, 1>({nullptr}, x, y);
    CHECK((y[0] == 2 && y[1] == 4));
}

TEST_CASE("AdaptiveMaxPool2d takes window maxima and propagates NaN") {
    // 3 -> 2 in each dimension: windows [0, 2) and [1, 3). Over 1..9 in rows, the maxima are the
    // bottom-right corners of the windows: 5, 6, 8, 9.
    float x[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    float y[4] = {};
    AdaptiveMaxPool2d<2>::propagate<float, shape{1, 3, 3}, 1>({nullptr}, x, y);
    CHECK((y[0] == 5 && y[1] == 6 && y[2] == 8 && y[3] == 9));
    // A NaN in the corner is in the first window only; in the middle, in all four.
    x[0] = NAN;
    AdaptiveMaxPool2d<2>::propagate<float, shape{1, 3, 3}, 1>({nullptr}, x, y);
    CHECK((std::isnan(y[0]) && y[1] == 6 && y[2] == 8 && y[3] == 9));
    x[0] = 1;
    x[4] = NAN;
    AdaptiveMaxPool2d<2>::propagate<float, shape{1, 3, 3}, 1>({nullptr}, x, y);
    CHECK((std::isnan(y[0]) && std::isnan(y[1]) && std::isnan(y[2]) && std::isnan(y[3])));
}

TEST_CASE("AdaptiveMaxPool1d and AdaptiveAvgPool1d use PyTorch's windows") {
    // 5 -> 3: windows [0, 2), [1, 4), [3, 5).
    const float x[5] = {1, 5, 2, 3, NAN};
    float y[3] = {};
    AdaptiveMaxPool1d<3>::propagate<float, shape{1, 5}, 1>({nullptr}, x, y);
    CHECK((y[0] == 5 && y[1] == 5 && std::isnan(y[2])));
    AdaptiveAvgPool1d<3>::propagate<float, shape{1, 5}, 1>({nullptr}, x, y);
    CHECK((y[0] == 3 && y[1] == (5 + 2 + 3) / 3.0f && std::isnan(y[2])));
}
