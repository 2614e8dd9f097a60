// The tuned kernels against the plain loops of reference_kernels.hpp, on random data: odd sizes,
// strides, padding, dilation, groups, 1x1 kernels, fused steps, and batch sizes that exercise
// every tile remainder and sample-group split, in float and double.
#include <catch2/catch.hpp>

#include <cmath>
#include <memory>
#include <random>
#include <vector>

#include <typenet/typenet.hpp>

#include "reference_kernels.hpp"
#include "support.hpp"

using namespace typenet;

namespace {

template <class M>
std::unique_ptr<M> random_model(unsigned seed) {
    auto model = std::make_unique<M>();
    std::mt19937 gen(seed);
    std::uniform_real_distribution<double> dist(-1.0, 1.0);
    for (const state_entry& e : M::state_dict) {
        if (e.dtype == dtype::int64) continue;
        auto* v = reinterpret_cast<typename M::scalar_type*>(model->bytes(e).data());
        const bool variance = e.key.ends_with("running_var");
        for (std::size_t i = 0; i < e.numel; ++i) v[i] = typename M::scalar_type(variance ? 1.0 + 0.5 * dist(gen) : dist(gen));  // variances positive
    }
    return model;
}

template <class M, std::size_t B>
std::vector<typename M::scalar_type> run(M& model, const std::vector<typename M::scalar_type>& x) {
    auto in = std::make_unique<typename M::template batch_input_type<B>>();
    auto out = std::make_unique<typename M::template batch_output_type<B>>();
    std::copy(x.begin(), x.end(), in->begin());
    model.forward(*in, *out);
    return {out->begin(), out->end()};
}

template <class T>
std::vector<T> random_input(std::size_t n, unsigned seed) {
    std::mt19937 gen(seed);
    std::uniform_real_distribution<double> dist(-1.0, 1.0);
    std::vector<T> x(n);
    for (T& v : x) v = T(dist(gen));
    return x;
}

// float sums of a few hundred terms agree with a double-accumulated reference to ~1e-6 of the
// output's scale; double ones to ~1e-14.
template <class T>
constexpr double tolerance = std::is_same_v<T, float> ? 2e-6 : 1e-12;

template <class T, std::size_t B, class Conv, std::size_t C, std::size_t H, std::size_t W>
void check_conv(unsigned seed) {
    using M = Model<Sequential<Conv>, Input<C, H, W>, T, B>;
    auto model = random_model<M>(seed);
    const auto x = random_input<T>(B * C * H * W, seed + 1);
    const T* bias = nullptr;
    if constexpr (Conv::has_bias) bias = model->template at<"0.bias">().data();
    const auto expected = oracle::conv2d<T>(x, B, C, H, W, model->template at<"0.weight">().data(), bias,
                                            Conv::out_channels, Conv::kernel_h, Conv::kernel_w, Conv::stride_h,
                                            Conv::stride_w, Conv::padding_h, Conv::padding_w, Conv::dilation_h,
                                            Conv::dilation_w, Conv::groups);
    const auto actual = run<M, B>(*model, x);
    CHECK(test::relative_error<T, T>(actual, expected) <= tolerance<T>);
}

template <class T, std::size_t B, class Pool, std::size_t C, std::size_t H, std::size_t W>
void check_max_pool(unsigned seed) {
    using M = Model<Sequential<Pool>, Input<C, H, W>, T, B>;
    auto model = std::make_unique<M>();
    const auto x = random_input<T>(B * C * H * W, seed);
    const auto expected = oracle::max_pool2d<T>(x, B * C, H, W, Pool::kernel_h, Pool::kernel_w, Pool::stride_h,
                                                Pool::stride_w, Pool::padding_h, Pool::padding_w, Pool::dilation_h,
                                                Pool::dilation_w, M::output_shape[1], M::output_shape[2]);
    CHECK(run<M, B>(*model, x) == expected);
}

}  // namespace

TEMPLATE_TEST_CASE("MaxPool2d matches the plain loops: rows of whole vectors and their tails", "", float, double) {
    using T = TestType;
    check_max_pool<T, 2, MaxPool2d<3, stride<2>, padding<1>>, 3, 40, 70>(1);  // ResNet's stem pooling
    check_max_pool<T, 1, MaxPool2d<3, stride<2>, padding<1>, ceil_mode<true>>, 2, 21, 37>(2);
    check_max_pool<T, 3, MaxPool2d<size2{2, 3}, stride<1, 1>, dilation<2, 1>>, 2, 9, 35>(3);
    check_max_pool<T, 1, MaxPool2d<2, stride<3>, padding<1>, ceil_mode<true>>, 1, 10, 52>(4);
}

TEMPLATE_TEST_CASE("Conv2d kernels match the plain loops", "", float, double) {
    using T = TestType;
    check_conv<T, 1, Conv2d<3, 5, 3>, 3, 9, 11>(1);
    check_conv<T, 7, Conv2d<3, 5, 3>, 3, 9, 11>(2);
    check_conv<T, 3, Conv2d<4, 6, size2{3, 2}, stride<2, 1>, padding<1, 0>, dilation<1, 2>, groups<2>>, 4, 10, 9>(3);
    check_conv<T, 5, Conv2d<8, 16, 1, bias<false>>, 8, 5, 5>(4);
    // 1x1 on rows of whole vectors: the product reads the input where it is (groups too).
    check_conv<T, 3, Conv2d<8, 12, 1>, 8, 8, 8>(13);
    check_conv<T, 2, Conv2d<6, 4, 1, groups<2>, bias<false>>, 6, 4, 16>(14);
    check_conv<T, 2, Conv2d<6, 6, 3, padding<1>, groups<6>>, 6, 7, 7>(5);
    check_conv<T, 9, Conv2d<16, 32, 3, padding<1>>, 16, 13, 13>(6);
    check_conv<T, 4, Conv2d<2, 3, 5, padding<2>, dilation<2>>, 2, 6, 6>(7);
    check_conv<T, 2, Conv2d<1, 4, size2{1, 7}, stride<3>, padding<0, 3>>, 1, 8, 16>(8);
    // Depthwise (its own kernel): strides 1, 2 and 3, dilation, rectangular, sizes around the vector width.
    check_conv<T, 3, Conv2d<5, 5, 3, stride<2>, padding<1>, groups<5>, bias<false>>, 5, 17, 19>(9);
    check_conv<T, 1, Conv2d<4, 4, 5, padding<2>, groups<4>>, 4, 9, 33>(10);
    check_conv<T, 2, Conv2d<3, 3, size2{3, 2}, stride<3, 3>, padding<1, 1>, dilation<2, 1>, groups<3>>, 3, 11, 13>(11);
    check_conv<T, 1, Conv2d<2, 2, 3, stride<1, 2>, groups<2>>, 2, 4, 16>(12);
    // Enough work for the channels to be shared among OpenMP threads (when there are several).
    check_conv<T, 1, Conv2d<32, 32, 3, padding<1>, groups<32>, bias<false>>, 32, 32, 40>(15);
}

TEMPLATE_TEST_CASE("Linear kernels match the plain loops, one row or many", "", float, double) {
    using T = TestType;
    auto check = [&]<std::size_t B, std::size_t K, std::size_t O, std::size_t Extra>(unsigned seed) {
        using M = Model<Sequential<Linear<K, O>>, Input<Extra, K>, T, B>;
        auto model = random_model<M>(seed);
        const auto x = random_input<T>(B * Extra * K, seed + 1);
        const auto expected = oracle::linear<T>(x, B * Extra, K, model->template at<"0.weight">().data(),
                                                model->template at<"0.bias">().data(), O);
        CHECK(test::relative_error<T, T>(run<M, B>(*model, x), expected) <= tolerance<T>);
    };
    check.template operator()<1, 37, 19, 1>(10);
    check.template operator()<3, 37, 19, 1>(11);
    check.template operator()<33, 37, 19, 1>(12);
    check.template operator()<5, 64, 130, 1>(13);
    check.template operator()<2, 16, 7, 5>(14);
    check.template operator()<17, 300, 33, 1>(15);

    // Linear then ReLU, one fused step, by dot products (1 row) and by the matrix product (33 rows).
    auto check_relu = [&]<std::size_t B>(unsigned seed) {
        using M = Model<Sequential<Linear<37, 19>, ReLU>, Input<37>, T, B>;
        static_assert(M::network::step_lengths[0] == 2);
        auto model = random_model<M>(seed);
        const auto x = random_input<T>(B * 37, seed + 1);
        auto expected = oracle::linear<T>(x, B, 37, model->template at<"0.weight">().data(),
                                          model->template at<"0.bias">().data(), 19);
        oracle::relu(expected);
        CHECK(test::relative_error<T, T>(run<M, B>(*model, x), expected) <= tolerance<T>);
    };
    check_relu.template operator()<1>(16);
    check_relu.template operator()<33>(17);

    // A chain of Linear layers (one step, transposed in between for many rows, see fusion.hpp).
    auto check_chain = [&]<std::size_t B>(unsigned seed) {
        using M = Model<Sequential<Linear<37, 50>, ReLU, Dropout<>, Linear<50, 19>, Identity, Linear<19, 7>>, Input<37>, T, B>;
        static_assert(M::network::step_lengths[0] == 6);
        auto model = random_model<M>(seed);
        const auto x = random_input<T>(B * 37, seed + 1);
        auto h = oracle::linear<T>(x, B, 37, model->template at<"0.weight">().data(), model->template at<"0.bias">().data(), 50);
        oracle::relu(h);
        h = oracle::linear<T>(h, B, 50, model->template at<"3.weight">().data(), model->template at<"3.bias">().data(), 19);
        const auto expected =
            oracle::linear<T>(h, B, 19, model->template at<"5.weight">().data(), model->template at<"5.bias">().data(), 7);
        CHECK(test::relative_error<T, T>(run<M, B>(*model, x), expected) <= tolerance<T>);
    };
    check_chain.template operator()<1>(18);
    check_chain.template operator()<2>(19);
    check_chain.template operator()<33>(20);

    // Enough work (more than 2^21 multiply-adds) for a chain to run on every OpenMP thread.
    using Big = Model<Sequential<Linear<300, 200>, ReLU, Linear<200, 100>>, Input<300>, T, 40>;
    auto big = random_model<Big>(21);
    const auto x = random_input<T>(40 * 300, 22);
    auto h = oracle::linear<T>(x, 40, 300, big->template at<"0.weight">().data(), big->template at<"0.bias">().data(), 200);
    oracle::relu(h);
    const auto expected =
        oracle::linear<T>(h, 40, 200, big->template at<"2.weight">().data(), big->template at<"2.bias">().data(), 100);
    CHECK(test::relative_error<T, T>(run<Big, 40>(*big, x), expected) <= tolerance<T>);
}

TEST_CASE("fused steps propagate NaN as the layers one by one do") {
    // An Identity between the convolution and the rest keeps them apart (no fusion).
    using Fused = Model<Sequential<Conv2d<1, 3, 3, padding<1>>, ReLU, MaxPool2d<2>>, Input<1, 8, 10>>;
    using Apart = Model<Sequential<Conv2d<1, 3, 3, padding<1>>, Identity, ReLU, MaxPool2d<2>>, Input<1, 8, 10>>;
    static_assert(Fused::network::step_lengths[0] == 3 && Apart::network::step_lengths[0] == 1);
    auto fused = random_model<Fused>(30);
    auto apart = random_model<Apart>(30);
    auto x = random_input<float>(80, 31);
    x[2 * 10 + 5] = NAN;  // pixel (2, 5): its 3x3 neighbourhood of outputs is NaN before pooling
    Fused::input_type in;
    std::copy(x.begin(), x.end(), in.begin());
    const auto a = fused->forward(in);
    const auto b = apart->forward(in);
    std::size_t nans = 0;
    for (std::size_t i = 0; i < a.size; ++i) {
        CHECK(std::isnan(a[i]) == std::isnan(b[i]));
        if (!std::isnan(a[i])) CHECK(a[i] == b[i]);
        nans += std::isnan(a[i]);
    }
    CHECK(nans == 3 * 4);  // per channel, the pooled windows over rows 1-3 and columns 4-6: 2 x 2
}

TEMPLATE_TEST_CASE("fused Conv2d, BatchNorm2d, ReLU and MaxPool2d steps match the layers one by one", "", float, double) {
    using T = TestType;
    constexpr std::size_t B = 6, C = 2, H = 11, W = 10, OC = 8;
    using Net = Sequential<Conv2d<C, OC, 3, padding<1>>, BatchNorm2d<OC, eps<"1e-3">>, ReLU, MaxPool2d<2>>;
    static_assert(Net::step_lengths[0] == 4);
    using M = Model<Net, Input<C, H, W>, T, B>;
    auto model = random_model<M>(20);
    const auto x = random_input<T>(B * C * H * W, 21);
    auto y = oracle::conv2d<T>(x, B, C, H, W, model->template at<"0.weight">().data(),
                               model->template at<"0.bias">().data(), OC, 3, 3, 1, 1, 1, 1, 1, 1, 1);
    oracle::batch_norm<T>(y, B, OC, H * W, model->template at<"1.weight">().data(), model->template at<"1.bias">().data(),
                          model->template at<"1.running_mean">().data(), model->template at<"1.running_var">().data(), 1e-3);
    oracle::relu(y);
    const auto expected = oracle::max_pool<T>(y, B * OC, H, W, 2, 2);
    CHECK(test::relative_error<T, T>(run<M, B>(*model, x), expected) <= tolerance<T>);

    // Pooling with a 3x3 window and stride 2, straight after the convolution (no ReLU).
    using Pooled = Model<Sequential<Conv2d<C, OC, 3, padding<2>, dilation<2>>, MaxPool2d<3, stride<2>>>, Input<C, H, W>, T, B>;
    static_assert(Pooled::network::step_lengths[0] == 2);
    auto pooled = random_model<Pooled>(22);
    const auto z = oracle::conv2d<T>(x, B, C, H, W, pooled->template at<"0.weight">().data(),
                                     pooled->template at<"0.bias">().data(), OC, 3, 3, 1, 1, 2, 2, 2, 2, 1);
    CHECK(test::relative_error<T, T>(run<Pooled, B>(*pooled, x), oracle::max_pool<T>(z, B * OC, H, W, 3, 2)) <=
          tolerance<T>);
}
