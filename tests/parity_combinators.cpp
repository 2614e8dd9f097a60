// Parity with PyTorch of the combinators (reference/combinators.hpp, reference/combinators.py).
#include <catch2/catch.hpp>

#include "parity_support.hpp"
#include "reference/combinators.hpp"

TEST_CASE("combinators reproduce PyTorch's modules: keys in registration order, outputs, files") {
    reference::for_each_combinator_model(parity::check_model{});
}
