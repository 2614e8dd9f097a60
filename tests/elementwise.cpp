// Elementwise layers: a user's activation in a few lines, vectorised, and fused into the
// convolution or Linear before it.
#include <catch2/catch.hpp>

#include <memory>

#include <typenet/typenet.hpp>

using namespace typenet;

namespace {

// x * sigmoid(x), written once for scalars and vectors.
struct Swish : Elementwise<Swish> {
    static constexpr std::string_view type_name = "Swish";
    template <class V>
    static V apply(V x) { return x * math::sigmoid(x); }
};
static_assert(Layer<Swish> && ElementwiseLayer<Swish> && Swish::in_place);

// A convolution followed by any elementwise layer is one step; an Identity between them keeps them apart.
using FusedNet = Sequential<Conv2d<2, 3, 3>, Swish>;
using SplitNet = Sequential<Conv2d<2, 3, 3>, Identity, Swish>;
static_assert(FusedNet::step_lengths[0] == 2 && SplitNet::step_lengths[0] == 1);
static_assert(Sequential<Linear<4, 4>, Swish, Linear<4, 2>>::step_lengths[0] == 3, "a Linear chain with Swish");

}  // namespace

TEST_CASE("an Elementwise layer computes the same alone, fused after a convolution, in a Linear chain") {
    using F = Model<FusedNet, Input<2, 5, 6>, float, 4>;
    using S = Model<SplitNet, Input<2, 5, 6>, float, 4>;
    auto fused = std::make_unique<F>();
    auto split = std::make_unique<S>();
    float v = -1.f;
    for (float& w : fused->at<"0.weight">()) w = (v += 0.037f);
    for (float& b : fused->at<"0.bias">()) b = (v -= 0.3f);
    std::copy(fused->state().begin(), fused->state().end(), split->state().begin());
    F::batch_input_type<4> x{};
    for (std::size_t i = 0; i < x.size; ++i) x[i] = float(int(i % 11) - 5) / 3;
    F::batch_output_type<4> a{};
    S::batch_output_type<4> b{};
    fused->forward(x, a);
    split->forward(x, b);
    for (std::size_t i = 0; i < a.size; ++i) CHECK(a[i] == Approx(b[i]).epsilon(1e-6));

    // Against the scalar formula on a plain input (the tail after the last whole vector included).
    float in[37], out[37];
    for (int i = 0; i < 37; ++i) in[i] = float(i - 18) / 2;
    Swish::propagate<float, shape{37}, 1>({nullptr}, in, out);
    for (int i = 0; i < 37; ++i) CHECK(out[i] == Approx(in[i] / (1 + std::exp(-in[i]))).epsilon(1e-6));
}
