// ReLU, Identity, Dropout and Flatten: no parameters, same values, in place when allowed.
#include <catch2/catch.hpp>

#include <cmath>

#include <typenet/layers/dropout.hpp>
#include <typenet/layers/flatten.hpp>
#include <typenet/layers/identity.hpp>
#include <typenet/layers/relu.hpp>

using namespace typenet;

static_assert(Flatten::infer({128, 4, 4}).output == shape{2048});
static_assert(FlattenDims<2>::infer({3, 4, 5}).output == shape{3, 20});
static_assert(FlattenDims<1, 2>::infer({3, 4, 5}).output == shape{12, 5});
static_assert(FlattenDims<-2>::infer({3, 4, 5}).output == shape{3, 20}, "negative dims count from the back");
static_assert(FlattenDims<4>::infer({3, 4, 5}).rule == shape_error::rule::flatten_start_dim);
static_assert(FlattenDims<1, 4>::infer({3, 4, 5}).rule == shape_error::rule::flatten_end_dim);
static_assert(FlattenDims<3, 2>::infer({3, 4, 5}).rule == shape_error::rule::flatten_dim_order);
static_assert(Dropout<"0.3">::p == 0.3 && Dropout<>::p == 0.5);
static_assert(ReLU::in_place && Identity::in_place && Dropout<>::in_place && Flatten::in_place);

TEST_CASE("ReLU clamps negatives and keeps NaN, in place") {
    float x[4] = {-1.5f, 0.0f, 2.5f, NAN};
    ReLU::propagate<float, shape{4}, 1>({nullptr}, x, x);
    CHECK(x[0] == 0);
    CHECK(x[1] == 0);
    CHECK(x[2] == 2.5f);
    CHECK(std::isnan(x[3]));
}

TEST_CASE("Identity, Dropout and Flatten copy when not in place") {
    const double x[3] = {1, -2, 3};
    double y[3] = {};
    Dropout<"0.9">::propagate<double, shape{3}, 1>({nullptr}, x, y);
    CHECK((y[0] == 1 && y[1] == -2 && y[2] == 3));
    double z[3] = {};
    Identity::propagate<double, shape{3}, 1>({nullptr}, x, z);
    CHECK((z[0] == 1 && z[1] == -2 && z[2] == 3));
}
