// Parity with PyTorch of the attention group (reference/attention.hpp and .py): Embedding with
// padding_idx, MultiheadAttention (bias or not, causal), TransformerEncoderLayer (relu and gelu,
// norm_first both ways), a 2-layer TransformerEncoder with a final norm and a text classifier
// from token ids, over sequences of 64 positions; and the same with key padding masks, a different
// padding per sample of the batch (the mask from <name>.mask.bin, see parity::error_of). To keep
// this program quick to compile, most models get the lighter check_model_float (float32, one load
// of the zip file, one save); two get check_model (also the legacy file, and float64 against
// PyTorch's float64 outputs).
#include <catch2/catch.hpp>

#include "parity_support.hpp"
#include "reference/attention.hpp"

TEST_CASE("attention: every reference model reproduces PyTorch's state_dict and outputs") {
    reference::attention::for_each_attention_model(parity::check_model{}, parity::check_model_float{});
}
