// Cat and Concat: concatenation along PyTorch's dim, values placed where torch.cat places them.
#include <catch2/catch.hpp>

#include <memory>

#include <typenet/typenet.hpp>

using namespace typenet;

static_assert(Cat<>::combine_shapes(std::array{shape{2, 3}, shape{4, 3}}).output == shape{6, 3});
static_assert(Cat<dim<2>>::combine_shapes(std::array{shape{2, 3}, shape{2, 1}}).output == shape{2, 4});
static_assert(Cat<dim<-1>>::combine_shapes(std::array{shape{2, 3}, shape{2, 1}}).output == shape{2, 4});
static_assert(Cat<>::combine_shapes(std::array{shape{2, 3}, shape{2, 4}}).rule == shape_error::rule::concat_shapes);
static_assert(Cat<dim<3>>::combine_shapes(std::array{shape{2, 3}, shape{2, 3}}).rule == shape_error::rule::custom,
              "dim 3 of a rank-2 sample (rank 3 with the batch)");

using Branches = Concat<Named<"a", Conv2d<1, 2, 1>>, Conv2d<1, 1, 1>>;
static_assert(Model<Branches, Input<1, 2, 2>>::state_dict[0].key == "a.weight");
static_assert(Model<Branches, Input<1, 2, 2>>::state_dict[2].key == "1.weight");

TEST_CASE("Cat along the last dimension interleaves rows, as torch.cat(dim=-1)") {
    using Net = Block<Named<"p", Parameter<shape{2, 1}>>, Forward<Cat<dim<-1>, Identity, Call<"p">>>>;
    using M = Model<Net, Input<2, 2>, float, 2>;
    auto m = std::make_unique<M>();
    m->at<"p">()[0] = 7;
    m->at<"p">()[1] = 8;
    M::batch_input_type<2> x{};
    for (std::size_t i = 0; i < x.size; ++i) x[i] = float(i);
    M::batch_output_type<2> y{};
    m->forward(x, y);
    // sample n, row r: [x[n][r][0], x[n][r][1], p[r]]
    const float expected[12] = {0, 1, 7, 2, 3, 8, 4, 5, 7, 6, 7, 8};
    for (std::size_t i = 0; i < 12; ++i) CHECK(y[i] == expected[i]);
}
