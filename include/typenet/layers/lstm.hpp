// LSTM: a stack of long short-term memory layers over a sequence, like nn.LSTM, with PyTorch's
// state_dict (weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0, then weight_hr_l0 with
// proj_size, each layer's _reverse entries after its own with bidirectional) and gate order i, f, g, o.
// A sample is [T, input_size], time first, T known at compile time; batch_first<> only says how the
// PyTorch twin is called (a typenet sample is always a contiguous [T, features]), so both spellings
// load the same weights. The layer returns PyTorch's `output`, [T, D * H_out] (D = 2 when
// bidirectional, H_out = proj_size or hidden_size); returns<"h_n"> gives h_n, [D * num_layers, H_out],
// and returns<"c_n"> gives c_n, [D * num_layers, hidden_size], each sample's own as PyTorch's
// h_n[:, b, :]. h_0 and c_0 are zero, as when PyTorch is called without them. dropout<p> drops
// values of each layer's output but the last, as PyTorch's, only in a Trainable's train() mode
// (masks from its generator, docs/training.md); inference and eval() have none.
//
//     using A = typenet::LSTM<16, 32>;                                   // nn.LSTM(16, 32)
//     // nn.LSTM(16, 32, 2, batch_first=True, bidirectional=True)
//     using B = typenet::LSTM<16, 32, typenet::num_layers<2>, typenet::bidirectional<true>,
//                             typenet::batch_first<true>>;
//     using C = typenet::LSTM<16, 32, typenet::proj_size<8>, typenet::returns<"h_n">>;
//     static_assert(A::infer({100, 16}).output == typenet::shape{100, 32});
//     static_assert(B::infer({100, 16}).output == typenet::shape{100, 64});
//     static_assert(C::infer({100, 16}).output == typenet::shape{1, 8});
//     static_assert(B::state[4].name == "weight_ih_l0_reverse" && B::state[8].shape == typenet::shape{128, 64});
//     static_assert(C::state[4].name == "weight_hr_l0");
//
// It runs one step at a time in a Stream (stream.hpp) unless bidirectional: its state is h and c of
// every layer. The whole-sequence forward pass runs the same step, so both give the same bits. It
// trains (backpropagation through time, detail/recurrent.hpp).
#pragma once

#include <cstddef>
#include <string_view>

#include "../detail/recurrent.hpp"
#include "../options.hpp"

namespace typenet {

template <std::size_t InputSize, std::size_t HiddenSize, class... Options>
struct LSTM : detail::recurrent<detail::cell_kind::lstm, InputSize, HiddenSize, Options...>,
              detail::recurrent_training<LSTM<InputSize, HiddenSize, Options...>> {
    static_assert(options_accepted<void(option_kind::num_layers, option_kind::bias, option_kind::batch_first,
                                        option_kind::dropout, option_kind::bidirectional, option_kind::proj_size,
                                        option_kind::returns),
                                   Options...>,
                  "LSTM takes the options num_layers<>, bias<>, batch_first<>, dropout<>, bidirectional<>, "
                  "proj_size<> and returns<>, each at most once");
    static constexpr std::string_view type_name = "LSTM";
    static constexpr bool sample_wise = true;
};

}  // namespace typenet
