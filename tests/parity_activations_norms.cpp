// Parity with PyTorch of the activations_norms group: activations, Softmax and LogSoftmax,
// LayerNorm, GroupNorm, InstanceNorm, torchvision's LayerNorm2d, and the layers that are the
// identity at inference (reference/activations_norms.hpp and .py).
#include <catch2/catch.hpp>

#include "parity_support.hpp"
#include "reference/activations_norms.hpp"

using namespace parity;

TEST_CASE("activations, softmax and normalisation layers reproduce PyTorch's state_dict and outputs") {
    reference::for_each_activations_norms_model(check_model{});
}
