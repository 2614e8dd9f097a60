// Parity with PyTorch of the conv_pool group's reference models (reference/conv_pool.hpp and .py):
// Conv1d, ConvTranspose1d/2d, the 1-d pools, the adaptive max pools, Upsample, ConstantPad1d and
// Transpose.
#include <catch2/catch.hpp>

#include "parity_support.hpp"
#include "reference/conv_pool.hpp"

TEST_CASE("conv_pool: every reference model reproduces PyTorch's state_dict and outputs") {
    reference::for_each_conv_pool_model(parity::check_model{});
}
