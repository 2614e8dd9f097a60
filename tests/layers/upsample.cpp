// Upsample and its aliases: output sizes as F.interpolate's, the option rules, the shape rules,
// and PyTorch's source positions worked by hand.
#include <catch2/catch.hpp>

#include <typenet/layers/upsample.hpp>

using namespace typenet;

// Output size: floor(in * scale_factor), or the size given; one value applies to every dimension.
static_assert(Upsample<scale_factor<"2">>::infer({3, 4, 5}).output == shape{3, 8, 10});
static_assert(Upsample<scale_factor<"1.5">>::infer({3, 5, 5}).output == shape{3, 7, 7}, "floor(7.5)");
static_assert(Upsample<scale_factor<"1.5", "0.5">, mode<"bilinear">>::infer({3, 5, 5}).output == shape{3, 7, 2});
static_assert(Upsample<output_size<7, 9>>::infer({3, 4, 5}).output == shape{3, 7, 9});
static_assert(Upsample<output_size<7>>::infer({3, 4, 5}).output == shape{3, 7, 7});
static_assert(Upsample<output_size<7>, mode<"linear">>::infer({3, 4}).output == shape{3, 7});
static_assert(Upsample<scale_factor<"0.5">>::infer({3, 9}).output == shape{3, 4}, "nearest takes [C, L] too");
static_assert(UpsamplingBilinear2d<scale_factor<"2">>::align_corners, "PyTorch's UpsamplingBilinear2d aligns corners");
static_assert(UpsamplingBilinear2d<scale_factor<"2">>::type_name == "UpsamplingBilinear2d");
static_assert(UpsamplingNearest2d<output_size<3>>::interpolation == detail::upsample_mode::nearest);
static_assert(!Upsample<scale_factor<"2">, mode<"bilinear">>::align_corners, "align_corners defaults to False");

constexpr bool fails(shape_check c, std::string_view starts, std::size_t expected, std::size_t actual) {
    return c.rule == shape_error::rule::custom && c.message.starts_with(starts) && c.expected == expected &&
           c.actual == actual;
}
static_assert(fails(Upsample<scale_factor<"2">, mode<"bilinear">>::infer({3, 4}), "Upsample: mode \"bilinear\" takes", 3, 2));
static_assert(fails(Upsample<scale_factor<"2">, mode<"linear">>::infer({3, 4, 4}), "Upsample: mode \"linear\" takes", 2, 3));
static_assert(fails(Upsample<scale_factor<"2">>::infer({3}), "Upsample: mode \"nearest\" takes", 3, 1));
static_assert(fails(Upsample<output_size<4, 5>>::infer({3, 4}), "Upsample: output_size<...> or scale_factor<...> gives", 2, 1));
static_assert(fails(Upsample<scale_factor<"0.2">>::infer({3, 4}), "Upsample: the scale factor makes an output size of 0", 0, 4));
static_assert(fails(UpsamplingBilinear2d<output_size<4>>::infer({3, 4}), "UpsamplingBilinear2d: mode \"bilinear\"", 3, 2),
                    "the aliases name themselves");

// Nearest: floor(i * scale) with scale = 1 / scale_factor. At 5 -> 10 with scale_factor 2.1,
// output 2 reads floor(2 / 2.1) = 0, not 2 / 2 = 1; but PyTorch's channels-last kernel, which it
// runs for one channel, copies exactly for sizes doubled: 2 / 2 = 1.
static_assert(detail::nearest_axis<float, 5, 10>(2.1)[2] == 0 && detail::nearest_axis<double, 5, 10>(2.1)[2] == 0);
static_assert(detail::nearest_idx_axis<5, 10>(2.1)[2] == 1);
// With a size, the scale is in / out: 3 -> 4 reads floor(i * 0.75) = 0, 0, 1, 2.
static_assert(detail::nearest_axis<float, 3, 4>(0)[1] == 0 && detail::nearest_axis<float, 3, 4>(0)[3] == 2);

TEST_CASE("Upsample in mode linear blends the two nearest inputs") {
    const double x[2] = {0, 1};
    // align_corners: position i * (2 - 1) / (3 - 1), so 0, 0.5, 1.
    double y3[3] = {};
    Upsample<output_size<3>, mode<"linear">, align_corners<true>>::propagate<double, shape{1, 2}, 1>({nullptr}, x, y3);
    CHECK((y3[0] == 0 && y3[1] == 0.5 && y3[2] == 1));
    // Otherwise (i + 0.5) * 0.5 - 0.5, negative clamped to 0: 0, 0.25, 0.75, 1.25 (past the last
    // input, which both neighbours then are): 0, 0.25, 0.75, 1.
    double y4[4] = {};
    Upsample<scale_factor<"2">, mode<"linear">>::propagate<double, shape{1, 2}, 1>({nullptr}, x, y4);
    CHECK((y4[0] == 0 && y4[1] == 0.25 && y4[2] == 0.75 && y4[3] == 1));
}

TEST_CASE("Upsample in mode bilinear blends rows, then columns") {
    // [[0, 1], [2, 3]] to 3x3 with align_corners: the centre is the mean of the four, 1.5; the
    // middle of the top row 0.5, of the left column 1.
    const float x[4] = {0, 1, 2, 3};
    float y[9] = {};
    UpsamplingBilinear2d<output_size<3>>::propagate<float, shape{1, 2, 2}, 1>({nullptr}, x, y);
    CHECK((y[0] == 0 && y[1] == 0.5f && y[3] == 1 && y[4] == 1.5f && y[8] == 3));
}

TEST_CASE("Upsample in mode nearest repeats values") {
    // scale 2 on [[1, 2], [3, 4]], two channels: each value becomes a 2x2 block.
    const float x[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    float y[32] = {};
    UpsamplingNearest2d<scale_factor<"2">>::propagate<float, shape{2, 2, 2}, 1>({nullptr}, x, y);
    CHECK((y[0] == 1 && y[1] == 1 && y[2] == 2 && y[4] == 1 && y[15] == 4));
    CHECK((y[16] == 5 && y[31] == 8));
}
