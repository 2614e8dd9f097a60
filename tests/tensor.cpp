#include <catch2/catch.hpp>

#include <array>
#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <iomanip>
#include <limits>
#include <ranges>
#include <span>
#include <sstream>
#include <type_traits>
#include <vector>

#include <typenet/tensor.hpp>

using typenet::Tensor;

static_assert(alignof(Tensor<float, 3>) == 64);
static_assert(Tensor<double, 2, 3>::shape == typenet::shape{2, 3});
static_assert(std::is_aggregate_v<Tensor<float, 4>>);
static_assert(std::is_same_v<typenet::tensor_for<float, typenet::shape{1, 28, 28}>, Tensor<float, 1, 28, 28>>);
static_assert(std::is_same_v<typenet::batch_tensor_for<double, 64, typenet::shape{10}>, Tensor<double, 64, 10>>);

// size: a constant, as before, and a call, as std::array's and std::span's, so that std::size,
// std::ranges::size and code written for those containers work on a Tensor.
static_assert(Tensor<float, 2, 3, 4>::size == 24);
static_assert(Tensor<float, 2, 3, 4>::size() == 24);
static_assert(std::is_same_v<decltype(Tensor<float, 2, 3, 4>::size()), std::size_t>);
static_assert(std::ranges::sized_range<Tensor<float, 2, 3>> && std::ranges::contiguous_range<Tensor<float, 2, 3>>);
constexpr std::size_t sizes_of_a_tensor() {
    Tensor<float, 2, 3> t{};
    std::span<const float, 6> fixed = t.flat();  // the extent is still a constant expression
    return t.size() + std::size(t) + std::ranges::size(t) + fixed.size();
}
static_assert(sizes_of_a_tensor() == 24);

TEST_CASE("tensors index row-major, like contiguous torch tensors") {
    Tensor<int, 2, 3, 4> t{};
    t(1, 2, 3) = 7;
    CHECK(t[1 * 12 + 2 * 4 + 3] == 7);
    CHECK(reinterpret_cast<std::uintptr_t>(t.data()) % 64 == 0);
    Tensor<float, 4> v{1, 2, 3, 4};
    float sum = 0;
    for (float x : v) sum += x;
    CHECK(sum == 10);
    std::vector<float> copy(v.size);  // size still reads as a number
    CHECK(copy.size() == v.size());
}

// from: a braced list and fixed-size ranges are checked when compiling (a wrong count is
// tests/compile_fail/tensor_from_size.cpp), a vector and other run-time ranges when running.
static_assert(Tensor<int, 2, 2>::from({1, 2, 3, 4})(1, 0) == 3);
static_assert(Tensor<int, 3>::from(std::array<int, 3>{5, 6, 7})[2] == 7);

TEST_CASE("Tensor::from copies values in row-major order and refuses a wrong count, naming both") {
    const auto braced = Tensor<float, 2, 3>::from({1, 2, 3, 4, 5, 6});
    CHECK(braced(1, 2) == 6);
    CHECK(braced(0, 1) == 2);

    const std::vector<float> values{1, 2, 3, 4, 5, 6};
    const auto from_vector = Tensor<float, 3, 2>::from(values);
    CHECK(from_vector(2, 1) == 6);
    CHECK(from_vector(1, 0) == 3);
    std::vector<float> mutable_values = values;
    CHECK(Tensor<float, 6>::from(std::span<float>(mutable_values))[5] == 6);
    CHECK(Tensor<float, 6>::from(std::span<const float, 6>(values.data(), 6))[0] == 1);
    const std::initializer_list<float> list{9, 8};
    CHECK(Tensor<float, 2>::from(list)[1] == 8);

    using Square = Tensor<float, 2, 2>;  // (a macro argument cannot hold the commas)
    using Seven = Tensor<float, 7>;
    CHECK_THROWS_AS(Square::from(values), typenet::error);
    CHECK_THROWS_WITH(Square::from(values),
                      "typenet: Tensor::from: 6 values for a tensor of shape [2, 2], which holds 4; pass exactly 4");
    CHECK_THROWS_WITH(Seven::from(std::span<const float>(values)),
                      Catch::Contains("6 values") && Catch::Contains("holds 7"));
}

// Expected text: str(t) with torch 1.13, for the tensor named in each comment (printed once with
// /usr/bin/python3 and pasted). The C++ tensors hold the same float32 / float64 values: sums and
// products of small integers, 0.25 and 0.5 are exact in both.
TEST_CASE("tensors print as PyTorch prints them") {
    using typenet::to_string;
    // torch.tensor([[0.1, 0.2], [0.3, 0.4]]): 4 decimals, a row per line under the first.
    CHECK(to_string(Tensor<float, 2, 2>::from({0.1f, 0.2f, 0.3f, 0.4f})) ==
          "tensor([[0.1000, 0.2000],\n        [0.3000, 0.4000]])");
    // torch.tensor([1., -2., 3.]): all whole, so "1." padded to the widest.
    CHECK(to_string(Tensor<float, 3>::from({1, -2, 3})) == "tensor([ 1., -2.,  3.])");
    // torch.tensor([1e-5, 1.0, -2.5]): a magnitude below 1e-4 switches all to scientific.
    CHECK(to_string(Tensor<float, 3>::from({1e-5f, 1.0f, -2.5f})) == "tensor([ 1.0000e-05,  1.0000e+00, -2.5000e+00])");
    // torch.tensor([[1e9, 2.0]]): whole, but above 1e8.
    CHECK(to_string(Tensor<float, 1, 2>::from({1e9f, 2.0f})) == "tensor([[1.0000e+09, 2.0000e+00]])");
    // torch.tensor([0.5, 1.25], dtype=torch.float64): dtypes other than float32, int64, bool are named.
    CHECK(to_string(Tensor<double, 2>::from({0.5, 1.25})) == "tensor([0.5000, 1.2500], dtype=torch.float64)");
    // torch.tensor([1, -20, 300]) as int64, int32; torch.tensor([0, 255], dtype=torch.uint8); booleans.
    CHECK(to_string(Tensor<std::int64_t, 3>::from({1, -20, 300})) == "tensor([  1, -20, 300])");
    CHECK(to_string(Tensor<std::int32_t, 3>::from({1, -20, 300})) == "tensor([  1, -20, 300], dtype=torch.int32)");
    CHECK(to_string(Tensor<std::uint8_t, 2>::from({0, 255})) == "tensor([  0, 255], dtype=torch.uint8)");
    CHECK(to_string(Tensor<bool, 2>::from({true, false})) == "tensor([ True, False])");
    // (torch.arange(8.) * 0.5).reshape(2, 2, 2): a blank line between the matrices.
    CHECK(to_string(Tensor<float, 2, 2, 2>::from({0, 0.5f, 1, 1.5f, 2, 2.5f, 3, 3.5f})) ==
          "tensor([[[0.0000, 0.5000],\n         [1.0000, 1.5000]],\n\n        [[2.0000, 2.5000],\n"
          "         [3.0000, 3.5000]]])");
    // NaN and infinities take no part in choosing the format; a negative NaN prints as "nan".
    // torch.tensor([nan, -inf, 0.5]), torch.tensor([nan, 0.]), torch.tensor([-nan, 1., 2.]).
    const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
    CHECK(to_string(Tensor<float, 3>::from({nan, -inf, 0.5f})) == "tensor([   nan,   -inf, 0.5000])");
    CHECK(to_string(Tensor<float, 2>::from({nan, 0.0f})) == "tensor([nan, 0.])");
    CHECK(to_string(Tensor<float, 3>::from({-nan, 1, 2})) == "tensor([nan, 1., 2.])");

    // torch.arange(20.) / 3: 9 elements of "x.xxxx, " fit in 80 columns after "tensor([".
    Tensor<float, 20> thirds;
    for (std::size_t i = 0; i < thirds.size(); ++i) thirds[i] = float(i) / 3.0f;
    CHECK(to_string(thirds) ==
          "tensor([0.0000, 0.3333, 0.6667, 1.0000, 1.3333, 1.6667, 2.0000, 2.3333, 2.6667,\n"
          "        3.0000, 3.3333, 3.6667, 4.0000, 4.3333, 4.6667, 5.0000, 5.3333, 5.6667,\n"
          "        6.0000, 6.3333])");
    // torch.arange(6, dtype=torch.float64) * 1000.125: the dtype goes to a line of its own when
    // it would end past column 80.
    Tensor<double, 6> wide;
    for (std::size_t i = 0; i < wide.size(); ++i) wide[i] = double(i) * 1000.125;
    CHECK(to_string(wide) ==
          "tensor([   0.0000, 1000.1250, 2000.2500, 3000.3750, 4000.5000, 5000.6250],\n       dtype=torch.float64)");

    // Over 1000 elements, the first and last 3 of each long dimension. torch.arange(1001.): whole,
    // and 1000 / 1 is not above 1000, so no scientific notation.
    Tensor<float, 1001> count;
    for (std::size_t i = 0; i < count.size(); ++i) count[i] = float(i);
    CHECK(to_string(count) == "tensor([   0.,    1.,    2.,  ...,  998.,  999., 1000.])");
    // (torch.arange(1200.) * 0.25 - 100).reshape(40, 30): the format is chosen from the elements
    // shown; " ..." counts as an element when lines wrap.
    Tensor<float, 40, 30> grid;
    for (std::size_t i = 0; i < grid.size(); ++i) grid[i] = float(i) * 0.25f - 100.0f;
    CHECK(to_string(grid) ==
          "tensor([[-100.0000,  -99.7500,  -99.5000,  ...,  -93.2500,  -93.0000,\n"
          "          -92.7500],\n"
          "        [ -92.5000,  -92.2500,  -92.0000,  ...,  -85.7500,  -85.5000,\n"
          "          -85.2500],\n"
          "        [ -85.0000,  -84.7500,  -84.5000,  ...,  -78.2500,  -78.0000,\n"
          "          -77.7500],\n"
          "        ...,\n"
          "        [ 177.5000,  177.7500,  178.0000,  ...,  184.2500,  184.5000,\n"
          "          184.7500],\n"
          "        [ 185.0000,  185.2500,  185.5000,  ...,  191.7500,  192.0000,\n"
          "          192.2500],\n"
          "        [ 192.5000,  192.7500,  193.0000,  ...,  199.2500,  199.5000,\n"
          "          199.7500]])");
}

TEST_CASE("operator<< writes the same text, whatever the stream's flags") {
    const auto t = Tensor<float, 2>::from({0.25f, 10});
    std::ostringstream plain, flagged;
    plain << t;
    flagged << std::left << std::setfill('*') << std::scientific << std::setprecision(1) << std::showpos << t;
    CHECK(plain.str() == "tensor([ 0.2500, 10.0000])");
    CHECK(flagged.str() == plain.str());
}
