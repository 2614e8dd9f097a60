#include <catch2/catch.hpp>

#include <typenet/typenet.hpp>

#include "../examples/simple_mnist_model.hpp"

using M = typenet::Model<SimpleMNISTModel<>, typenet::Input<1, 28, 28>>;

TEST_CASE("the summary lists every module with its output shape and parameter count") {
    const std::string text = typenet::summary<M>();
    CHECK_THAT(text, Catch::Contains("    features.0   Conv2d            [1, 32, 28, 28]        320\n"));
    CHECK_THAT(text, Catch::Contains("    classifier.1 Linear            [1, 256]               524,544\n"));
    CHECK_THAT(text, Catch::Contains("  features       Sequential        [1, 128, 4, 4]         92,672\n"));
    CHECK_THAT(text, Catch::Contains("Total params: 651,402\n"));
    CHECK_THAT(text, Catch::Contains("Input shape: [1, 1, 28, 28]\n"));
}

// Linear<80, 32>: a weight of 80 * 32 * 4 = 10,240 bytes and a bias of 128, both multiples of 64,
// so a state block of 10,368 bytes = 0.0099 MiB, which rounds to 0.01.
TEST_CASE("sizes print in MiB with two decimals, small ones included") {
    using Small = typenet::Model<typenet::Linear<80, 32>, typenet::Input<80>>;
    static_assert(Small::state_bytes == 10'368);
    CHECK_THAT(typenet::summary<Small>(), Catch::Contains("64-byte aligned): 0.01 MB\n"));
    CHECK(typenet::detail::megabytes(0) == "0.00 MB");
    CHECK(typenet::detail::megabytes(10'368) == "0.01 MB");
    CHECK(typenet::detail::megabytes(1'101'005) == "1.05 MB");  // 1.0500002 MiB
    CHECK(typenet::detail::megabytes(1'095'762) == "1.05 MB");  // 1.04500008 MiB: rounds up
    CHECK(typenet::detail::megabytes(1'095'761) == "1.04 MB");  // 1.04499912 MiB: rounds down
    CHECK(typenet::detail::megabytes(2'621'440) == "2.50 MB");  // 2.5 MiB exactly
}
