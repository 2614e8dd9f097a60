#include <catch2/catch.hpp>

#include <array>
#include <cstddef>
#include <limits>
#include <span>
#include <type_traits>
#include <vector>

#include <typenet/ops.hpp>

using typenet::Tensor;

namespace {
constexpr float not_a_number = std::numeric_limits<float>::quiet_NaN();
}  // namespace

// argmax and topk are constexpr: these run when compiling.
static_assert(typenet::argmax(std::array<int, 4>{1, 3, 3, 2}) == 1, "the first of equal maxima, as torch.argmax");
static_assert(typenet::argmax(Tensor<float, 3>::from({1, not_a_number, 2})) == 1,
              "NaN counts as the largest, as in torch");
static_assert(std::is_same_v<decltype(typenet::argmax(Tensor<float, 2, 3, 4>{})), Tensor<std::size_t, 2, 3>>);
static_assert(std::is_same_v<decltype(typenet::topk<2>(Tensor<double, 5, 4>{}).values), Tensor<double, 5, 2>>);
static_assert(std::is_same_v<decltype(typenet::topk<2>(Tensor<double, 5, 4>{}).indices), Tensor<std::size_t, 5, 2>>);
static_assert(std::is_same_v<decltype(typenet::softmax(std::array<float, 7>{})), std::array<float, 7>>);

TEST_CASE("argmax: per row of a tensor, over a whole range") {
    // Row 0 [0.5, 2, -1]: largest at 1; row 1 [3, 0, 1]: at 0; row 2 [-1, -1, -3]: the first of two.
    const auto logits = Tensor<float, 3, 3>::from({0.5f, 2, -1, 3, 0, 1, -1, -1, -3});
    const Tensor<std::size_t, 3> classes = typenet::argmax(logits);
    CHECK(classes[0] == 1);
    CHECK(classes[1] == 0);
    CHECK(classes[2] == 0);
    CHECK(typenet::argmax(Tensor<float, 4>::from({1, 2, 7, 7})) == 2);
    CHECK(typenet::argmax(Tensor<float, 4>::from({1, 2, not_a_number, 7})) == 2);  // a NaN wins, as in torch
    const std::vector<double> scores{0.1, 0.4, 0.2};
    CHECK(typenet::argmax(scores) == 1);
    CHECK(typenet::argmax(std::span<const double>(scores).first(1)) == 0);
    CHECK_THROWS_AS(typenet::argmax(std::vector<float>{}), typenet::error);
}

// Expected values: torch.softmax(x, dim=-1) with torch 1.13, printed with '%.9g' (float32) or
// '%.17g' (float64). typenet's float exp is accurate to 3e-7 (math.hpp), hence the tolerance.
TEST_CASE("softmax: each row, as torch.softmax(x, dim=-1)") {
    // torch.softmax(torch.tensor([[0.5, 2., -1.], [3., 0., 1.]]), -1)
    const auto logits = Tensor<float, 2, 3>::from({0.5f, 2, -1, 3, 0, 1});
    const Tensor<float, 2, 3> p = typenet::softmax(logits);
    const float expected[] = {0.175290391f, 0.785597026f, 0.0391125716f, 0.843794703f, 0.0420100652f, 0.11419519f};
    for (std::size_t i = 0; i < 6; ++i) CHECK(p[i] == Approx(expected[i]).epsilon(1e-6));

    // 19 values, longer than a vector register and not a multiple of one:
    // torch.softmax(torch.tensor([((i * 7) % 19 - 9) / 4 for i in range(19)]), -1)
    std::array<float, 19> row;
    for (std::size_t i = 0; i < row.size(); ++i) row[i] = float(int(i * 7 % 19) - 9) / 4.0f;
    const std::array<float, 19> q = typenet::softmax(row);
    const float expected_row[] = {0.00247874646f, 0.0142642017f, 0.0820848197f, 0.0040867622f, 0.0235176925f,
                                  0.135334983f,   0.0067379321f, 0.0387741216f, 0.22312966f,   0.0111089712f,
                                  0.0639277175f,  0.00318277348f, 0.0183155984f, 0.105398983f, 0.00524750678f,
                                  0.0301973149f,  0.173773557f,  0.00865167566f, 0.0497869588f};
    for (std::size_t i = 0; i < 19; ++i) CHECK(q[i] == Approx(expected_row[i]).epsilon(1e-6));

    // torch.softmax(torch.tensor([1., 2., 3., 4.], dtype=torch.float64), -1): float64 is exact to
    // the last bits or two (the C library's exp, lane by lane).
    const auto d = typenet::softmax(Tensor<double, 4>::from({1, 2, 3, 4}));
    const double expected_double[] = {0.032058603280084988, 0.087144318742032573, 0.23688281808991016,
                                      0.64391425988797235};
    for (std::size_t i = 0; i < 4; ++i) CHECK(d[i] == Approx(expected_double[i]).epsilon(1e-15));
}

TEST_CASE("topk: the k largest and their indices, largest first") {
    // Row 0 [0.5, 2, -1] -> 2 (at 1), 0.5 (at 0); row 1 [3, 0, 1] -> 3 (at 0), 1 (at 2).
    const auto logits = Tensor<float, 2, 3>::from({0.5f, 2, -1, 3, 0, 1});
    const auto [values, indices] = typenet::topk<2>(logits);
    CHECK(values(0, 0) == 2);
    CHECK(values(0, 1) == 0.5f);
    CHECK(values(1, 0) == 3);
    CHECK(values(1, 1) == 1);
    CHECK(indices(0, 0) == 1);
    CHECK(indices(0, 1) == 0);
    CHECK(indices(1, 0) == 0);
    CHECK(indices(1, 1) == 2);

    // Equal values by increasing index (torch's CPU kernel gives [2, 4, 1] here: unspecified).
    const auto ties = typenet::topk<3>(std::array<float, 5>{1, 3, 3, 2, 3});
    CHECK(ties.values == std::array<float, 3>{3, 3, 3});
    CHECK(ties.indices == std::array<std::size_t, 3>{1, 2, 4});
    // NaN first, as torch.topk(torch.tensor([1., 3., nan, 3., 2., 3.]), 4): values [nan, 3, 3, 3],
    // indices [2, 3, 5, 1] in torch; the 3s in index order here.
    const auto with_nan = typenet::topk<4>(Tensor<float, 6>::from({1, 3, not_a_number, 3, 2, 3}));
    CHECK(with_nan.values[0] != with_nan.values[0]);
    CHECK(with_nan.indices[0] == 2);
    CHECK(with_nan.indices[1] == 1);
    CHECK(with_nan.indices[3] == 5);
    // k = n sorts the row; a descending row stays as it is; k = 1 is argmax.
    const auto all = typenet::topk<4>(std::array<int, 4>{2, -5, 9, 0});
    CHECK(all.values == std::array<int, 4>{9, 2, 0, -5});
    CHECK(all.indices == std::array<std::size_t, 4>{2, 0, 3, 1});
    CHECK(typenet::topk<3>(std::array<int, 3>{3, 2, 1}).indices == std::array<std::size_t, 3>{0, 1, 2});
    CHECK(typenet::topk<1>(std::array<int, 3>{3, 5, 1}).indices[0] == 1);
}
