#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <random>
#include <span>
#include <vector>

#include <typenet/typenet.hpp>

#include "../examples/simple_mnist_model.hpp"
#include "support.hpp"

using namespace typenet;
using M = Model<SimpleMNISTModel<>, Input<1, 28, 28>, float, 4>;

static_assert(M::output_shape == shape{10});
static_assert(std::is_same_v<M::input_type, Tensor<float, 1, 28, 28>>);
static_assert(std::is_same_v<M::batch_output_type<4>, Tensor<float, 4, 10>>);
// The workspace of one sample. The model's chain keeps the features' output (128x4x4) for the
// classifier. Inside features, each convolution runs fused with its ReLU and pooling (fusion.hpp),
// so the chain's two buffers hold the fused steps' outputs: 32x14x14 and 128x7x7 in one, 64x7x7
// in the other. The classifier's buffers are smaller. After the buffers comes the largest scratch
// one step asks for: a fused convolution's scale and shift per channel plus its im2col rows.
using One = Model<SimpleMNISTModel<>, Input<1, 28, 28>>;
constexpr std::size_t fused(std::size_t channels, std::size_t conv_scratch) {
    return 2 * detail::aligned_elements(channels, sizeof(float)) + conv_scratch;
}
constexpr std::size_t largest_step_scratch = std::max({
    fused(32, Conv2d<1, 32, 3, padding<1>>::scratch_elements<float>({1, 28, 28}, 1)),
    fused(64, Conv2d<32, 64, 3, padding<1>>::scratch_elements<float>({32, 14, 14}, 1)),
    fused(128, Conv2d<64, 128, 3, padding<1>>::scratch_elements<float>({64, 7, 7}, 1)),
    Linear<2048, 256>::scratch_elements<float>({2048}, 1), Linear<256, 128>::scratch_elements<float>({256}, 1),
    Linear<128, 10>::scratch_elements<float>({128}, 1)});
static_assert(One::workspace_elements == 128 * 4 * 4 + 128 * 7 * 7 + 64 * 7 * 7 + largest_step_scratch);

template <class Model>
void randomize(Model& model, unsigned seed) {
    std::mt19937 gen(seed);
    std::normal_distribution<float> normal(0.0f, 0.1f);
    for (const state_entry& e : Model::state_dict) {
        if (e.dtype != dtype_of<typename Model::scalar_type>) continue;
        auto* values = reinterpret_cast<typename Model::scalar_type*>(model.bytes(e).data());
        for (std::size_t i = 0; i < e.numel; ++i) values[i] = normal(gen);
    }
}

TEST_CASE("a batch gives each sample's single forward") {
    auto model = std::make_unique<M>();
    randomize(*model, 1);
    auto batch = std::make_unique<M::batch_input_type<4>>();
    std::mt19937 gen(2);
    std::uniform_real_distribution<float> uniform(0.0f, 1.0f);
    for (float& v : *batch) v = uniform(gen);
    M::batch_output_type<4> batch_out;
    model->forward(*batch, batch_out);
    for (std::size_t n = 0; n < 4; ++n) {
        M::input_type one;
        std::copy_n(batch->data() + n * one.size, one.size, one.data());
        const M::output_type out = model->forward(one);
        // One sample and a batch may take different kernels (dot products, or a matrix product over
        // the batch) that add in different orders: they agree to float32 rounding, not bit for bit.
        for (std::size_t k = 0; k < 10; ++k) CHECK(out[k] == Approx(batch_out(n, k)).epsilon(1e-5));
    }
    // Smaller compile-time batches use the same workspace.
    M::batch_output_type<2> two_out;
    model->forward(*reinterpret_cast<const M::batch_input_type<2>*>(batch.get()), two_out);
    CHECK(two_out(1, 3) == Approx(batch_out(1, 3)).epsilon(1e-5));
}

TEST_CASE("a new model holds PyTorch's initial buffers and zero parameters") {
    using BN = Model<Sequential<Linear<3, 2>, BatchNorm1d<2>>, Input<3>>;
    auto model = std::make_unique<BN>();
    CHECK(model->at<"1.weight">()[1] == 1.0f);
    CHECK(model->at<"1.running_var">()[0] == 1.0f);
    CHECK(model->at<"1.running_mean">()[0] == 0.0f);
    CHECK(model->at<"1.num_batches_tracked">()[0] == 0);
    CHECK(model->at<"0.weight">()[5] == 0.0f);
    static_assert(std::is_same_v<decltype(model->at<"1.num_batches_tracked">()), std::span<std::int64_t, 1>>);
    static_assert(std::is_same_v<decltype(model->at<"0.weight">()), std::span<float, 6>>);
}

TEST_CASE("typed and byte access reach the same entry in the block") {
    auto model = std::make_unique<M>();
    model->at<"classifier.7.bias">()[9] = 2.5f;
    const auto bytes = model->bytes("classifier.7.bias");
    CHECK(bytes.size() == 40);
    float last;
    std::memcpy(&last, bytes.data() + 36, 4);
    CHECK(last == 2.5f);
    CHECK(reinterpret_cast<std::uintptr_t>(model->state().data()) % 64 == 0);
}

TEST_CASE("requires_grad is kept per parameter, like freezing model.features") {
    auto model = std::make_unique<M>();
    CHECK(model->requires_grad("features.0.weight"));
    model->set_requires_grad("features", false);
    CHECK_FALSE(model->requires_grad("features.3.bias"));
    CHECK(model->requires_grad("classifier.1.weight"));
    CHECK_THROWS_AS(model->set_requires_grad("feature", false), state_dict_error);
}

// n samples at run time run as chunks of Batch (4), then batches of 2 and 1: exactly the
// compile-time forwards of those batches, at the right offsets.
TEST_CASE("forward over a run-time number of samples is the compile-time batches it is made of") {
    auto model = std::make_unique<M>();
    randomize(*model, 3);
    constexpr std::size_t in_size = M::input_type::size, out_size = M::output_type::size;
    std::mt19937 gen(4);
    std::uniform_real_distribution<float> uniform(0.0f, 1.0f);
    std::vector<float> in(11 * in_size);
    for (float& v : in) v = uniform(gen);
    for (std::size_t n : {0, 1, 2, 3, 4, 5, 7, 11}) {
        std::vector<float> out(n * out_size, -1.0f), expected(n * out_size, -2.0f);
        model->forward(std::span(in.data(), n * in_size), out);
        std::size_t first = 0;
        auto expect = [&]<std::size_t B>() {
            auto batch = std::make_unique<M::batch_input_type<B>>();
            M::batch_output_type<B> batch_out;
            std::copy_n(in.data() + first * in_size, batch->size(), batch->data());
            model->forward(*batch, batch_out);
            std::copy_n(batch_out.data(), batch_out.size(), expected.data() + first * out_size);
            first += B;
        };
        while (n - first >= 4) expect.template operator()<4>();
        if (n - first >= 2) expect.template operator()<2>();
        if (n - first >= 1) expect.template operator()<1>();
        CHECK(first == n);
        CHECK(out == expected);
        // And each sample's own forward, to float32 rounding of the output's scale (other kernels, see above).
        for (std::size_t s = 0; s < n; ++s) {
            M::input_type one;
            std::copy_n(in.data() + s * in_size, in_size, one.data());
            const M::output_type alone = model->forward(one);
            const std::span<const float> row(out.data() + s * out_size, out_size);
            CHECK(test::relative_error(row, std::span<const float>(alone.flat())) < 1e-5);
        }
    }
}

TEST_CASE("forward over flat buffers checks their sizes") {
    auto model = std::make_unique<M>();
    std::vector<float> in(3 * 784), out(3 * 10);
    CHECK_THROWS_WITH(model->forward(std::span(in).first(2000), out),
                      "typenet::Model::forward: the input holds 2000 values, not a whole number of samples of shape "
                      "[1, 28, 28] (784 values each)");
    CHECK_THROWS_WITH(model->forward(in, std::span(out).first(20)),
                      "typenet::Model::forward: the output holds 20 values; the input's 3 samples give 30 (10 "
                      "values of shape [10] each)");
    CHECK_THROWS_AS(model->forward(std::span(in).first(784), out), error);
    model->forward(std::span<const float>(), std::span<float>());  // no samples: nothing to do
}

TEST_CASE("the const forward in a caller's workspace gives the Model's own forward, bit for bit") {
    auto model = std::make_unique<M>();
    randomize(*model, 5);
    auto workspace = std::make_unique<M::workspace_type>();
    const M& shared = *model;
    std::vector<float> in(6 * 784), out(6 * 10), again(6 * 10);
    std::mt19937 gen(6);
    std::uniform_real_distribution<float> uniform(0.0f, 1.0f);
    for (float& v : in) v = uniform(gen);
    model->forward(in, out);
    shared.forward(in, again, *workspace);
    CHECK(out == again);
    M::input_type one;
    std::copy_n(in.data(), one.size(), one.data());
    const M::output_type a = model->forward(one), b = shared.forward(one, *workspace);
    CHECK(std::equal(a.begin(), a.end(), b.begin()));
    auto batch = std::make_unique<M::batch_input_type<4>>();
    std::copy_n(in.data(), batch->size(), batch->data());
    M::batch_output_type<4> batch_out;
    shared.forward(*batch, batch_out, *workspace);
    CHECK(std::equal(batch_out.begin(), batch_out.end(), out.begin()));
}

TEST_CASE("forward over token ids at run time: ids are checked, and errors say which sample") {
    using Net = Sequential<Embedding<10, 4>, Flatten, Linear<12, 2>>;
    using T = Model<Net, Tokens<3>, float, 4>;
    auto model = std::make_unique<T>();
    randomize(*model, 7);
    std::vector<std::int64_t> ids(7 * 3);
    for (std::size_t i = 0; i < ids.size(); ++i) ids[i] = std::int64_t(i % 10);
    std::vector<float> out(7 * 2);
    model->forward(ids, out);
    for (std::size_t s = 0; s < 7; ++s) {
        T::input_type one;
        std::copy_n(ids.data() + s * 3, 3, one.data());
        const T::output_type alone = model->forward(one);
        const std::span<const float> row(out.data() + s * 2, 2);
        CHECK(test::relative_error(row, std::span<const float>(alone.flat())) < 1e-5);
    }
    // Sample 5 runs second in the batch of 2 that starts at sample 4; sample 6 alone.
    ids[5 * 3 + 2] = 10;
    CHECK_THROWS_WITH(model->forward(ids, out),
                      Catch::Contains("token id 10 at sample 1, index 2") &&
                          Catch::Contains("(sample numbers count from the batch's first sample: sample 4 of "
                                          "the 7 this call was given)"));
    ids[5 * 3 + 2] = 0;
    ids[6 * 3] = -1;
    CHECK_THROWS_WITH(model->forward(ids, out), Catch::Contains("token id -1 at sample 0, index 0") &&
                                                    Catch::Contains("sample 6 of the 7"));
}
