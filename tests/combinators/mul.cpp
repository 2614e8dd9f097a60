// Mul and Gate: products with broadcasting.
#include <catch2/catch.hpp>

#include <memory>

#include <typenet/typenet.hpp>

using namespace typenet;

using SE = Gate<Sequential<AdaptiveAvgPool2d<1, 1>, Conv2d<2, 2, 1>>>;
static_assert(Model<SE, Input<2, 3, 3>>::state_dict[0].key == "0.1.weight");
static_assert(Model<SE, Input<2, 3, 3>>::output_shape == shape{2, 3, 3});

TEST_CASE("Gate: x times G(x), G(x) one value per channel") {
    auto m = std::make_unique<Model<SE, Input<2, 3, 3>>>();
    // G(x)_c = mean of channel c (a 1x1 identity convolution, bias 1): channel 0 holds 0..8 (mean 4),
    // channel 1 holds 1s (mean 1). y = x * (mean + 1).
    auto w = m->at<"0.1.weight">();
    w[0] = 1;
    w[3] = 1;
    m->at<"0.1.bias">()[0] = 1;
    m->at<"0.1.bias">()[1] = 1;
    Model<SE, Input<2, 3, 3>>::input_type x{};
    for (std::size_t i = 0; i < 9; ++i) x[i] = float(i);
    for (std::size_t i = 9; i < 18; ++i) x[i] = 1;
    const auto y = m->forward(x);
    for (std::size_t i = 0; i < 9; ++i) CHECK(y[i] == float(i) * 5);
    for (std::size_t i = 9; i < 18; ++i) CHECK(y[i] == 2);
}
