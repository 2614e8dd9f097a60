// Softmax, LogSoftmax and the normalisation layers: their state_dict entries, shape rules and
// options (values against PyTorch are parity_activations_norms.cpp's), and a few invariants.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstddef>
#include <limits>

#include <typenet/typenet.hpp>

using namespace typenet;

// Softmax: PyTorch's dims, the batch being 0.
static_assert(Softmax<1>::normalized_dim({5, 6, 7}) == 0 && Softmax<3>::normalized_dim({5, 6, 7}) == 2);
static_assert(Softmax<-1>::normalized_dim({5, 6, 7}) == 2 && LogSoftmax<-3>::normalized_dim({5, 6, 7}) == 0);
static_assert(Softmax<4>::infer({5, 6, 7}).rule == shape_error::rule::custom);
static_assert(Softmax<-4>::infer({5, 6, 7}).rule == shape_error::rule::custom, "dim -4 of a rank-4 input is the batch");
static_assert(Softmax<1>::infer({10}).output == shape{10} && Softmax<1>::type_name == "Softmax");
static_assert(LogSoftmax<-1>::type_name == "LogSoftmax" && LogSoftmax<-1>::state.size() == 0);

// LayerNorm: an integer or a shape; keys weight and bias of normalized_shape.
static_assert(LayerNorm<768>::normalized_shape == shape{768} && LayerNorm<shape{4, 5}>::normalized_shape == shape{4, 5});
static_assert(LayerNorm<768>::state.size() == 2 && LayerNorm<768>::state[0].name == "weight" &&
              LayerNorm<768>::state[0].initial_value == 1 && LayerNorm<768>::state[1].name == "bias");
static_assert(LayerNorm<shape{4, 5}>::state[1].shape == shape{4, 5});
static_assert(LayerNorm<8, elementwise_affine<false>>::state.size() == 0);
static_assert(LayerNorm<8>::eps == 1e-5 && LayerNorm<8, eps<"1e-6">>::eps == 1e-6);
static_assert(LayerNorm<shape{4, 5}>::infer({3, 4, 5}).ok() && LayerNorm<shape{4, 5}>::infer({4, 5}).ok());
static_assert(LayerNorm<shape{4, 5}>::infer({5, 4}).compares_shapes && !LayerNorm<shape{4, 5}>::infer({5}).ok());
static_assert(LayerNorm<8>::infer({7}).rule == shape_error::rule::custom);
static_assert(LayerNorm2d<8>::eps == 1e-5 && LayerNorm2d<8, eps<"1e-6">>::eps == 1e-6, "LayerNorm's default, as the class");
static_assert(LayerNorm2d<8>::state[0].shape == shape{8} && LayerNorm2d<8>::type_name == "LayerNorm2d");
static_assert(LayerNorm2d<8>::infer({8, 3, 3}).ok() && !LayerNorm2d<8>::infer({4, 3, 3}).ok() &&
              !LayerNorm2d<8>::infer({8, 3}).ok());

// GroupNorm: keys weight and bias [C], unless affine<false>.
static_assert(GroupNorm<2, 6>::state.size() == 2 && GroupNorm<2, 6>::state[0].shape == shape{6});
static_assert(GroupNorm<2, 6, affine<false>>::state.size() == 0 && GroupNorm<2, 6>::eps == 1e-5);
static_assert(GroupNorm<2, 6>::infer({6, 3, 3}).ok() && GroupNorm<2, 6>::infer({6}).ok() &&
              !GroupNorm<2, 6>::infer({4, 3, 3}).ok());

// InstanceNorm: PyTorch's defaults are affine=False, track_running_stats=False; _version 2.
static_assert(InstanceNorm2d<4>::state.size() == 0 && !InstanceNorm2d<4>::affine && !InstanceNorm2d<4>::track_running_stats);
static_assert(InstanceNorm2d<4, affine<true>>::state.size() == 2);
static_assert(InstanceNorm2d<4, track_running_stats<true>>::state.size() == 3 &&
              InstanceNorm2d<4, track_running_stats<true>>::state[2].name == "num_batches_tracked" &&
              InstanceNorm2d<4, track_running_stats<true>>::state[2].int64);
static_assert(InstanceNorm1d<4, affine<true>, track_running_stats<true>>::state[3].name == "running_var");
static_assert(InstanceNorm1d<4>::state_dict_version == 2 && InstanceNorm1d<4>::type_name == "InstanceNorm1d");
static_assert(InstanceNorm1d<4>::infer({4, 9}).ok() && InstanceNorm1d<4>::infer({4, 9, 9}).rule == shape_error::rule::custom);
static_assert(InstanceNorm2d<4>::infer({5, 3, 3}).rule == shape_error::rule::custom);
static_assert(!InstanceNorm1d<4>::infer({4, 1}).ok() && InstanceNorm1d<4, track_running_stats<true>>::infer({4, 1}).ok(),
              "one position per channel: refused without running statistics, as PyTorch");

// Identity at inference.
static_assert(Dropout1d<"0.3">::p == 0.3 && Dropout2d<>::p == 0.5 && AlphaDropout<"0.1">::type_name == "AlphaDropout");
static_assert(Dropout1d<>::infer({4}).ok() && Dropout1d<>::infer({4, 5}).ok() && !Dropout1d<>::infer({4, 5, 6}).ok());
static_assert(Dropout2d<>::infer({4, 5, 6}).ok() && Dropout2d<>::type_name == "Dropout2d");
static_assert(StochasticDepth<"0.2", "row">::p == 0.2 && StochasticDepth<"1", "batch">::mode == "batch");
static_assert(StochasticDepth<"0.2", "row">::type_name == "StochasticDepth" && StochasticDepth<"0", "row">::in_place);

TEST_CASE("Softmax sums to 1 along its dimension, without overflow, in place or not") {
    // [2, 3, 19] per sample, batch 2, values up to 1000 (e^1000 overflows).
    constexpr shape In{2, 3, 19};
    constexpr std::size_t n = 2 * In.numel();
    double x[n], y[n];
    for (std::size_t i = 0; i < n; ++i) x[i] = double((i * 37) % 101) * 10 - 500;
    auto sums_to_one = [&](auto layer, std::size_t size, std::size_t inner) {
        using L = decltype(layer);
        L::template propagate<double, In, 2>({nullptr}, x, y);
        for (std::size_t o = 0; o < n / (size * inner); ++o)
            for (std::size_t j = 0; j < inner; ++j) {
                double sum = 0;
                for (std::size_t k = 0; k < size; ++k) sum += y[(o * size + k) * inner + j];
                CHECK(sum == Approx(1).epsilon(1e-12));
            }
        double z[n];
        for (std::size_t i = 0; i < n; ++i) z[i] = x[i];
        L::template propagate<double, In, 2>({nullptr}, z, z);
        for (std::size_t i = 0; i < n; ++i) CHECK(z[i] == y[i]);
    };
    sums_to_one(Softmax<1>{}, 2, 3 * 19);
    sums_to_one(Softmax<2>{}, 3, 19);
    sums_to_one(Softmax<3>{}, 19, 1);
    sums_to_one(Softmax<-1>{}, 19, 1);
}

TEST_CASE("LogSoftmax is the log of Softmax") {
    constexpr shape In{4, 17};
    float x[In.numel()], soft[In.numel()], log[In.numel()];
    for (std::size_t i = 0; i < In.numel(); ++i) x[i] = float(int(i * 7 % 23) - 11) * 3.5f;
    for (int pass = 0; pass < 2; ++pass) {
        if (pass == 0) {
            Softmax<-1>::propagate<float, In, 1>({nullptr}, x, soft);
            LogSoftmax<-1>::propagate<float, In, 1>({nullptr}, x, log);
        } else {
            Softmax<1>::propagate<float, In, 1>({nullptr}, x, soft);
            LogSoftmax<1>::propagate<float, In, 1>({nullptr}, x, log);
        }
        for (std::size_t i = 0; i < In.numel(); ++i) CHECK(std::exp(log[i]) == Approx(soft[i]).margin(1e-6));
    }
}

TEST_CASE("normalisation without affine parameters gives mean 0 and variance 1, in place") {
    constexpr shape In{4, 5, 3};
    double x[In.numel()];
    for (std::size_t i = 0; i < In.numel(); ++i) x[i] = double((i * 13) % 17) - 3;
    auto check_groups = [&](const double* y, std::size_t groups, auto index) {
        for (std::size_t g = 0; g < groups; ++g) {
            double sum = 0, squares = 0;
            std::size_t count = 0;
            for (std::size_t i = 0; i < In.numel(); ++i)
                if (index(i) == g) {
                    sum += y[i];
                    squares += y[i] * y[i];
                    ++count;
                }
            CHECK(sum / double(count) == Approx(0).margin(1e-12));
            CHECK(squares / double(count) == Approx(1).epsilon(1e-4));  // eps = 1e-5 shrinks it a little
        }
    };
    double y[In.numel()];
    for (std::size_t i = 0; i < In.numel(); ++i) y[i] = x[i];
    LayerNorm<shape{5, 3}, elementwise_affine<false>>::propagate<double, In, 1>({nullptr}, y, y);
    check_groups(y, 4, [](std::size_t i) { return i / 15; });
    for (std::size_t i = 0; i < In.numel(); ++i) y[i] = x[i];
    GroupNorm<2, 4, affine<false>>::propagate<double, In, 1>({nullptr}, y, y);
    check_groups(y, 2, [](std::size_t i) { return i / 30; });
    for (std::size_t i = 0; i < In.numel(); ++i) y[i] = x[i];
    InstanceNorm2d<4>::propagate<double, In, 1>({nullptr}, y, y);
    check_groups(y, 4, [](std::size_t i) { return i / 15; });
    for (std::size_t i = 0; i < In.numel(); ++i) y[i] = x[i];
    LayerNorm2d<4, elementwise_affine<false>>::propagate<double, In, 1>({nullptr}, y, y);
    check_groups(y, 15, [](std::size_t i) { return i % 15; });
}
