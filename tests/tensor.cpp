#include <catch2/catch.hpp>

#include <cstdint>
#include <type_traits>

#include <typenet/tensor.hpp>

using typenet::Tensor;

static_assert(alignof(Tensor<float, 3>) == 64);
static_assert(Tensor<float, 2, 3, 4>::size == 24);
static_assert(Tensor<double, 2, 3>::shape == typenet::shape{2, 3});
static_assert(std::is_aggregate_v<Tensor<float, 4>>);
static_assert(std::is_same_v<typenet::tensor_for<float, typenet::shape{1, 28, 28}>, Tensor<float, 1, 28, 28>>);
static_assert(std::is_same_v<typenet::batch_tensor_for<double, 64, typenet::shape{10}>, Tensor<double, 64, 10>>);

TEST_CASE("tensors index row-major, like contiguous torch tensors") {
    Tensor<int, 2, 3, 4> t{};
    t(1, 2, 3) = 7;
    CHECK(t[1 * 12 + 2 * 4 + 3] == 7);
    CHECK(reinterpret_cast<std::uintptr_t>(t.data()) % 64 == 0);
    Tensor<float, 4> v{1, 2, 3, 4};
    float sum = 0;
    for (float x : v) sum += x;
    CHECK(sum == 10);
}
