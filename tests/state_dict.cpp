#include <catch2/catch.hpp>

#include <typenet/typenet.hpp>

#include "../examples/simple_mnist_model.hpp"

using namespace typenet;
using M = Model<SimpleMNISTModel<>, Input<1, 28, 28>>;

// The seed's state_dict, as PyTorch prints it (the parity tests compare with PyTorch itself).
static_assert(M::state_dict.size() == 12);
static_assert(M::state_dict[0].key == "features.0.weight" && M::state_dict[0].shape == shape{32, 1, 3, 3});
static_assert(M::state_dict[4].key == "features.6.weight" && M::state_dict[4].shape == shape{128, 64, 3, 3});
static_assert(M::state_dict[11].key == "classifier.7.bias" && M::state_dict[11].shape == shape{10});
static_assert(M::entry("classifier.1.weight").shape == shape{256, 2048});

// Parameter counts: 32*9+32 + 64*32*9+64 + 128*64*9+128 = 92,672 in features;
// 2048*256+256 + 256*128+128 + 128*10+10 = 558,730 in classifier.
static_assert(M::parameter_count_of("features") == 92'672);
static_assert(M::parameter_count_of("classifier") == 558'730);
static_assert(M::parameter_count == 651'402);
static_assert(M::parameter_count_of("features.3") == 18'496);

// Shapes of every layer.
static_assert(M::module("features.2").output_shape == shape{32, 14, 14});
static_assert(M::module("features.8").input_shape == shape{128, 7, 7});
static_assert(M::module("classifier").input_shape == shape{128, 4, 4});
static_assert(M::module("").type_name == "Sequential" && M::module("classifier.3").type_name == "Dropout");

// The block: 64-byte aligned entries, in state_dict order, nothing between them but alignment.
constexpr bool laid_out_in_order() {
    std::size_t offset = 0;
    for (const state_entry& e : M::state_dict) {
        if (e.offset != offset || e.offset % 64 != 0) return false;
        offset += (e.nbytes + 63) / 64 * 64;
    }
    return offset == M::state_bytes;
}
static_assert(laid_out_in_order());

// Buffers are state but not parameters; num_batches_tracked is a 0-dim int64.
using BN = Model<Sequential<Conv2d<1, 2, 3>, BatchNorm2d<2>>, Input<1, 5, 5>>;
static_assert(BN::state_dict.size() == 7);
static_assert(BN::parameter_count == 2 * 9 + 2 + 2 + 2);
static_assert(BN::entry("1.num_batches_tracked").dtype == dtype::int64);
static_assert(BN::entry("1.num_batches_tracked").shape == shape{});
static_assert(!BN::entry("1.running_mean").is_parameter());
static_assert(Model<Sequential<Linear<2, 2>>, Input<2>, double>::state_dict[0].dtype == dtype::float64);

TEST_CASE("named_parameters of a sub-module, like model.features.named_parameters()") {
    std::vector<std::string_view> keys;
    for (const state_entry& e : M::named_parameters("classifier")) keys.push_back(e.key);
    CHECK(keys == std::vector<std::string_view>{"classifier.1.weight", "classifier.1.bias", "classifier.4.weight",
                                                "classifier.4.bias", "classifier.7.weight", "classifier.7.bias"});
    std::size_t bn_parameters = 0;
    for (const state_entry& e : BN::named_parameters()) bn_parameters += e.is_parameter();
    CHECK(bn_parameters == 4);
}

TEST_CASE("unknown keys and modules are errors that name them") {
    CHECK_THROWS_WITH(M::entry("features.1.weight"), Catch::Contains("no key \"features.1.weight\""));
    CHECK_THROWS_WITH(M::module("feature"), Catch::Contains("no module \"feature\""));
}
