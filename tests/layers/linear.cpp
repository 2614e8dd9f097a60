#include <catch2/catch.hpp>

#include <cstring>

#include <typenet/layers/linear.hpp>

using namespace typenet;

static_assert(Linear<2048, 256>::infer({2048}).output == shape{256});
static_assert(Linear<7, 5>::infer({4, 7}).output == shape{4, 5}, "applies to the last dimension");
static_assert(Linear<2048, 256>::infer({2000}).rule == shape_error::rule::in_features);
static_assert(Linear<2048, 256>::infer({2000}).expected == 2048 && Linear<2048, 256>::infer({2000}).actual == 2000);
static_assert(Linear<3, 2>::state[0].shape == shape{2, 3} && Linear<3, 2>::state[1].shape == shape{2});
static_assert(Linear<3, 2, bias<false>>::state.size() == 1);

TEST_CASE("Linear computes x W^T + b") {
    // W = [[1, 2, 3], [4, 5, 6]], b = [10, 20], x = [1, 1, 2]: [1 + 2 + 6 + 10, 4 + 5 + 12 + 20] = [19, 41].
    using L = Linear<3, 2>;
    alignas(64) unsigned char block[128] = {};
    float w[6] = {1, 2, 3, 4, 5, 6}, b[2] = {10, 20};
    std::memcpy(block, w, sizeof w);
    std::memcpy(block + 64, b, sizeof b);  // each entry starts on a 64-byte boundary
    const float x[3] = {1, 1, 2};
    float y[2] = {};
    L::propagate<float, shape{3}, 1>(layer_params<L, float>{reinterpret_cast<const std::byte*>(block)}, x, y, nullptr);
    CHECK(y[0] == 19);
    CHECK(y[1] == 41);
}
