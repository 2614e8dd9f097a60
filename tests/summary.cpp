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
