// GRU: a stack of gated recurrent unit layers over a sequence, like nn.GRU, with PyTorch's
// state_dict (weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0, each layer's _reverse entries
// after its own with bidirectional) and gates r, z, n, b_hn inside the reset product:
// n = tanh(W_in x + b_in + r (W_hn h + b_hn)).
// A sample is [T, input_size], time first, T known at compile time; batch_first<> only says how the
// PyTorch twin is called (a typenet sample is always a contiguous [T, features]). The layer returns
// PyTorch's `output`, [T, D * hidden_size] (D = 2 when bidirectional); returns<"h_n"> gives h_n,
// [D * num_layers, hidden_size]. h_0 is zero. dropout<p> drops values of each layer's output but the
// last, as PyTorch's, only in a Trainable's train() mode (masks from its generator, docs/training.md);
// inference and eval() have none.
//
//     using A = typenet::GRU<4, 8>;                                                  // nn.GRU(4, 8)
//     using B = typenet::GRU<4, 8, typenet::num_layers<2>, typenet::bias<false>>;   // nn.GRU(4, 8, 2, bias=False)
//     using C = typenet::GRU<4, 8, typenet::bidirectional<true>, typenet::returns<"h_n">>;
//     static_assert(A::infer({50, 4}).output == typenet::shape{50, 8});
//     static_assert(B::state.size() == 4 && B::state[2].name == "weight_ih_l1");
//     static_assert(C::infer({50, 4}).output == typenet::shape{2, 8});
//
// It runs one step at a time in a Stream (stream.hpp) unless bidirectional: its state is h of every
// layer. The whole-sequence forward pass runs the same step, so both give the same bits. It trains
// (backpropagation through time, detail/recurrent.hpp).
#pragma once

#include <cstddef>
#include <string_view>

#include "../detail/recurrent.hpp"
#include "../options.hpp"

namespace typenet {

template <std::size_t InputSize, std::size_t HiddenSize, class... Options>
struct GRU : detail::recurrent<detail::cell_kind::gru, InputSize, HiddenSize, Options...>,
             detail::recurrent_training<GRU<InputSize, HiddenSize, Options...>> {
    static_assert(options_accepted<void(option_kind::num_layers, option_kind::bias, option_kind::batch_first,
                                        option_kind::dropout, option_kind::bidirectional, option_kind::returns),
                                   Options...>,
                  "GRU takes the options num_layers<>, bias<>, batch_first<>, dropout<>, bidirectional<> and "
                  "returns<>, each at most once");
    static constexpr std::string_view type_name = "GRU";
    static constexpr bool sample_wise = true;
};

}  // namespace typenet
