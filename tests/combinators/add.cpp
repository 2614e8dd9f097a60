// Add and Residual: sums with broadcasting, checked against values worked out by hand.
#include <catch2/catch.hpp>

#include <memory>

#include <typenet/typenet.hpp>

using namespace typenet;

static_assert(detail::broadcast_all(std::array{shape{4, 1, 1}, shape{4, 3, 5}}).output == shape{4, 3, 5});
static_assert(detail::broadcast_all(std::array{shape{5}, shape{4, 3, 5}}).output == shape{4, 3, 5});
static_assert(detail::broadcast_all(std::array{shape{2, 1}, shape{1, 3}}).output == shape{2, 3});
static_assert(detail::broadcast_all(std::array{shape{4, 3}, shape{3, 3}}).rule == shape_error::rule::operand_shapes);
// Broadcasting merges dimensions: [4, 1, 1] with [4, 3, 5] is 4 rows of 15, the first operand repeated.
static_assert(detail::plan_broadcast(std::array{shape{4, 1, 1}, shape{4, 3, 5}}, shape{4, 3, 5}).rank == 2);
static_assert(detail::plan_broadcast(std::array{shape{4, 1, 1}, shape{4, 3, 5}}, shape{4, 3, 5}).strides[0][1] == 0);

// Residual's children are named by position; an Identity shortcut is x itself (no child runs).
using Res = Residual<Linear<3, 3>>;
static_assert(Model<Res, Input<3>>::state_dict[0].key == "0.weight");
static_assert(std::is_same_v<Res::runs, detail::then_module<detail::node_unit<Add<detail::call_unit<Res::Block, 0>,
                                                                                    detail::input_unit>>,
                                                            detail::input_unit>>);

TEST_CASE("Add broadcasts [C, 1, 1] over [C, H, W] and sums three operands") {
    using Net = Block<Named<"bias", Parameter<shape{2, 1, 1}>>, Named<"row", Parameter<shape{3}>>,
                      Forward<Add<Identity, Call<"bias">, Call<"row">>>>;
    using M = Model<Net, Input<2, 2, 3>, double, 2>;
    auto m = std::make_unique<M>();
    m->at<"bias">()[0] = 10;
    m->at<"bias">()[1] = 20;
    for (std::size_t i = 0; i < 3; ++i) m->at<"row">()[i] = double(i) / 10;
    M::batch_input_type<2> x{};
    for (std::size_t i = 0; i < x.size; ++i) x[i] = double(i);
    M::batch_output_type<2> y{};
    m->forward(x, y);
    // y[n][c][h][w] = x + bias[c] + row[w], x[n][c][h][w] = ((n * 2 + c) * 2 + h) * 3 + w
    for (std::size_t n = 0; n < 2; ++n)
        for (std::size_t c = 0; c < 2; ++c)
            for (std::size_t h = 0; h < 2; ++h)
                for (std::size_t w = 0; w < 3; ++w) {
                    const std::size_t i = ((n * 2 + c) * 2 + h) * 3 + w;
                    CHECK(y[i] == double(i) + (c == 0 ? 10 : 20) + double(w) / 10);
                }
}

TEST_CASE("Residual: post(body(x) + x)") {
    using Net = Residual<Linear<2, 2>, Identity, ReLU>;
    auto m = std::make_unique<Model<Net, Input<2>>>();
    auto w = m->at<"0.weight">();  // body(x) = -2 x
    w[0] = -2;
    w[3] = -2;
    const auto y = m->forward({1, -3});
    CHECK(y[0] == 0.f);  // relu(-2 + 1)
    CHECK(y[1] == 3.f);  // relu(6 - 3)
}
