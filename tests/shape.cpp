#include <catch2/catch.hpp>

#include <typenet/shape.hpp>

using typenet::shape;

static_assert(shape{32, 1, 3, 3}.numel() == 288);
static_assert(shape{32, 1, 3, 3}.rank == 4);
static_assert(shape{}.numel() == 1, "a 0-dim tensor holds one element");
static_assert(shape{5, 7}.back() == 7);
static_assert(shape{5, 7} != shape{5, 7, 1});
static_assert(typenet::Input<1, 28, 28>::value == shape{1, 28, 28});

TEST_CASE("shapes print like PyTorch's sizes") {
    CHECK(to_string(shape{32, 1, 3, 3}) == "[32, 1, 3, 3]");
    CHECK(to_string(shape{10}) == "[10]");
    CHECK(to_string(shape{}) == "[]");
}
