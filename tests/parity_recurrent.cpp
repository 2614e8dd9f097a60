// Parity with PyTorch of the recurrent group's reference models (reference/recurrent.hpp and .py):
// RNN (tanh, relu), LSTM (proj_size), GRU, stacked and bidirectional, without bias, returning the
// output sequence, h_n or c_n, LastStep in a classifier head, and a TCN of residual Blocks before a
// GRU (also streamed by stream.cpp), over sequences of 100 steps or more.
//
// The bound stays PyTorch's 1e-5 relative to the output's scale after 100+ steps: the hidden
// state forgets its past (gates below 1, tanh saturating), so rounding differences do not grow
// along the sequence; the float64 check (check_model, a few models) bounds the kernels themselves.
// The other models get the lighter check_model_float (parity_support.hpp), to keep this program
// quick to compile.
#include <catch2/catch.hpp>

#include "parity_support.hpp"
#include "reference/recurrent.hpp"

TEST_CASE("recurrent: every reference model reproduces PyTorch's state_dict and outputs") {
    reference::for_each_recurrent_model(parity::check_model{}, parity::check_model_float{});
}
