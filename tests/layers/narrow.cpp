// Narrow: shapes, the rules it refuses, and the values it copies (an input whose values are their
// own flat indices, so every output value says where it came from).
#include <catch2/catch.hpp>

#include <typenet/layers/narrow.hpp>
#include <typenet/model.hpp>
#include <typenet/sequential.hpp>

#include <memory>

using namespace typenet;

static_assert(Narrow<1, 2, 3>::infer({6, 4}).output == shape{3, 4});
static_assert(Narrow<-1, 0, 2>::infer({6, 4}).output == shape{6, 2}, "dim -1 is the last");
static_assert(Narrow<2, -3, 3>::infer({6, 4}).output == shape{6, 3}, "start -3 of 4 is 1");
static_assert(Narrow<1, 6, 0>::infer({6, 4}).output == shape{0, 4}, "torch.narrow allows an empty slice at the end");

constexpr bool fails(shape_check c, std::string_view starts, std::size_t expected, std::size_t actual) {
    return c.rule == shape_error::rule::custom && c.message.starts_with(starts) && c.expected == expected &&
           c.actual == actual;
}
static_assert(fails(Narrow<1, 4, 3>::infer({6, 4}), "Narrow: start + length", 7, 6));
static_assert(fails(Narrow<1, -7, 1>::infer({6, 4}), "Narrow: a negative start", 7, 6));
static_assert(fails(Narrow<3, 0, 1>::infer({6, 4}), "Narrow: dim", 3, 3));
static_assert(fails(Narrow<-4, 0, 1>::infer({6, 4}), "Narrow: dim", 4, 3));

TEST_CASE("Narrow copies the slice of each sample: rows 1 to 3 of [2, 4, 3], two samples") {
    using M = Model<Sequential<Narrow<2, 1, 2>>, Input<2, 4, 3>, float, 2>;
    auto model = std::make_unique<M>();
    M::batch_input_type<2> in;
    M::batch_output_type<2> out;
    for (std::size_t i = 0; i < in.size; ++i) in[i] = float(i);
    model->forward(in, out);
    // Output (n, c, r, w) is input (n, c, r + 1, w): flat index ((n * 2 + c) * 4 + r + 1) * 3 + w.
    for (std::size_t n = 0; n < 2; ++n)
        for (std::size_t c = 0; c < 2; ++c)
            for (std::size_t r = 0; r < 2; ++r)
                for (std::size_t w = 0; w < 3; ++w)
                    CHECK(out[((n * 2 + c) * 2 + r) * 3 + w] == float(((n * 2 + c) * 4 + r + 1) * 3 + w));
}
