// RNN: a stack of Elman layers over a sequence, h = tanh(W_ih x + b_ih + W_hh h + b_hh) (or relu
// with nonlinearity<"relu">), like nn.RNN, with PyTorch's state_dict (weight_ih_l0, weight_hh_l0,
// bias_ih_l0, bias_hh_l0, each layer's _reverse entries after its own with bidirectional).
// A sample is [T, input_size], time first, T known at compile time; batch_first<> only says how the
// PyTorch twin is called (a typenet sample is always a contiguous [T, features]). The layer returns
// PyTorch's `output`, [T, D * hidden_size] (D = 2 when bidirectional); returns<"h_n"> gives h_n,
// [D * num_layers, hidden_size]. h_0 is zero. dropout<p> drops values of each layer's output but the
// last, as PyTorch's, only in a Trainable's train() mode (masks from its generator, docs/training.md);
// inference and eval() have none.
//
//     using A = typenet::RNN<3, 10>;                                          // nn.RNN(3, 10)
//     using B = typenet::RNN<3, 10, typenet::nonlinearity<"relu">, typenet::num_layers<3>>;
//     static_assert(A::infer({20, 3}).output == typenet::shape{20, 10});
//     static_assert(B::state.size() == 12 && B::state[11].name == "bias_hh_l2");
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

namespace detail {
template <class... Options>
constexpr cell_kind rnn_cell_kind() {
    constexpr std::string_view name =
        option_t<option_kind::nonlinearity, typenet::nonlinearity<"tanh">, Options...>::value;
    static_assert(name == "tanh" || name == "relu", "RNN: nonlinearity<> is \"tanh\" or \"relu\", as in PyTorch");
    return name == "relu" ? cell_kind::rnn_relu : cell_kind::rnn_tanh;
}
}  // namespace detail

template <std::size_t InputSize, std::size_t HiddenSize, class... Options>
struct RNN : detail::recurrent<detail::rnn_cell_kind<Options...>(), InputSize, HiddenSize, Options...>,
             detail::recurrent_training<RNN<InputSize, HiddenSize, Options...>> {
    static_assert(options_accepted<void(option_kind::num_layers, option_kind::nonlinearity, option_kind::bias,
                                        option_kind::batch_first, option_kind::dropout, option_kind::bidirectional,
                                        option_kind::returns),
                                   Options...>,
                  "RNN takes the options num_layers<>, nonlinearity<>, bias<>, batch_first<>, dropout<>, "
                  "bidirectional<> and returns<>, each at most once");
    static constexpr std::string_view type_name = "RNN";
    static constexpr bool sample_wise = true;
};

}  // namespace typenet
