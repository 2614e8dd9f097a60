// Model: a network type instantiated for a per-sample input shape, a scalar type and the largest
// compile-time batch it will run. It owns the state block (all parameters and buffers,
// contiguous, in state_dict order) and the forward workspace; both have compile-time sizes, so
// a Model never allocates. It is large: put it in static storage or on the heap. The input is
// Input<...> (scalars of type T) or Tokens<...> (integer token ids, for an Embedding: shape.hpp).
// Its state_dict surface (state_dict, state(), bytes(), at<Key>(), ...) is detail/state_block.hpp's,
// which Stream (stream.hpp) shares.
// A network with a key_padding_mask<true> layer (layers/multihead_attention.hpp) takes, beside
// the input, which positions of each sample are padding: forward(input, output, mask or lengths).
//
//     using Net = typenet::Sequential<typenet::Flatten, typenet::Linear<784, 10>>;
//     using M = typenet::Model<Net, typenet::Input<1, 28, 28>>;
//     static_assert(M::output_shape == typenet::shape{10});
//     static_assert(M::parameter_count == 7850);
//     auto model = std::make_unique<M>();
//     M::input_type image{};
//     M::output_type logits = model->forward(image);
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>

#include "detail/analysis.hpp"
#include "detail/key_padding.hpp"
#include "detail/state_block.hpp"
#include "error.hpp"
#include "module.hpp"
#include "state_dict.hpp"
#include "tensor.hpp"

namespace typenet {

namespace detail {
template <class InputShape, class T>
struct input_element {
    using type = T;
};
template <class InputShape, class T>
    requires requires { typename InputShape::element_type; }
struct input_element<InputShape, T> {
    using type = typename InputShape::element_type;
};
template <class InputShape, class T>
using input_element_t = typename input_element<InputShape, T>::type;
struct no_token_ids {};

// Token ids (Tokens<...>) become scalars for the network, which computes in T: every id must be
// one that T holds exactly (0 to 2^24 in float), so that an Embedding compares the very id with
// its num_embeddings. Checked before anything is computed; an id outside is a typenet::error.
template <class T, std::size_t PerSample, class Int>
void token_ids(const Int* ids, T* out, std::size_t samples) {
    constexpr long long exact = 1LL << std::numeric_limits<T>::digits;
    for (std::size_t i = 0; i < samples * PerSample; ++i)
        if (ids[i] < 0 || (long long)ids[i] > exact)
            throw error(concat({"typenet: token id ", std::to_string(ids[i]), " at sample ",
                                std::to_string(i / PerSample), ", index ", std::to_string(i % PerSample),
                                " of the input is out of range: ids index an Embedding's rows, from 0"}));
    for (std::size_t i = 0; i < samples * PerSample; ++i) out[i] = T(ids[i]);
}
}  // namespace detail

template <Module Net, class InputShape, class T = float, std::size_t Batch = 1>
class Model : public detail::state_block<Net, detail::analysis<Net, InputShape::value>, T> {
    static_assert(Batch >= 1, "typenet::Model: the batch size must be at least 1");
    using analysis = detail::analysis<Net, InputShape::value>;
    static constexpr bool shapes_fit = analysis::ok;
    // The first broken shape rule, if any, fails to compile here (see shape_error.hpp).
    static_assert(sizeof(typename decltype(shape_error::detail::report_type<analysis>())::type) > 0);
    static_assert(!analysis::counts.key_padding_positions_differ,
                  "typenet::Model: the layers with key_padding_mask<true> get sequences of different lengths, and a "
                  "forward call carries one mask: give the option only to layers over the same positions");

public:
    static constexpr std::size_t batch_size = Batch;
    static constexpr shape input_shape = InputShape::value;
    static constexpr shape output_shape = analysis::counts.output;

    // The input's elements: T, or the integer ids of a Tokens<...> input (see detail::token_ids).
    using input_element = detail::input_element_t<InputShape, T>;
    using input_type = tensor_for<input_element, input_shape>;
    using output_type = tensor_for<T, output_shape>;
    template <std::size_t B>
    using batch_input_type = batch_tensor_for<input_element, B, input_shape>;
    template <std::size_t B>
    using batch_output_type = batch_tensor_for<T, B, output_shape>;

    // A network with a key_padding_mask<true> layer (MultiheadAttention, a Transformer encoder, Mean)
    // takes, per call, which of the key_padding_positions positions of each sample are padding.
    static constexpr bool takes_key_padding_mask = analysis::counts.key_padding_layers > 0;
    static constexpr std::size_t key_padding_positions = analysis::counts.key_padding_positions;
    using key_padding_mask_type = Tensor<bool, std::max<std::size_t>(key_padding_positions, 1)>;
    template <std::size_t B>
    using batch_key_padding_mask_type = Tensor<bool, B, std::max<std::size_t>(key_padding_positions, 1)>;

    // Scalars of scratch memory the forward pass of Batch samples uses: a compile-time constant.
    static constexpr std::size_t workspace_elements = detail::scratch_of<Net, T, input_shape, Batch>;

    // Every entry at its initial value (state_block.hpp: zeros, and ones for BatchNorm's weight
    // and running_var).
    Model() { detail::start_thread_runtime(); }

    // Forward pass, for one sample or a compile-time batch of B <= Batch samples. Everything is
    // inlined into this call; nothing is allocated.
    [[gnu::flatten]] void forward(const input_type& in, output_type& out) {
        static_assert(!takes_key_padding_mask,
                      "typenet::Model::forward: this network has a layer with key_padding_mask<true>, so pass the "
                      "mask too: forward(input, output, mask), mask(n, j) true where position j of sample n is "
                      "padding");
        run<1>(in.data(), out.data());
    }
    output_type forward(const input_type& in) {
        output_type out;
        forward(in, out);
        return out;
    }
    template <class BatchIn, class BatchOut>
        requires(std::is_same_v<BatchIn, batch_input_type<BatchIn::shape[0]>> &&
                 std::is_same_v<BatchOut, batch_output_type<BatchIn::shape[0]>>)
    [[gnu::flatten]] void forward(const BatchIn& in, BatchOut& out) {
        static_assert(BatchIn::shape[0] <= Batch,
                      "typenet::Model::forward: this batch is larger than the Model's Batch parameter");
        static_assert(!takes_key_padding_mask,
                      "typenet::Model::forward: this network has a layer with key_padding_mask<true>, so pass the "
                      "mask too: forward(input, output, mask), mask(n, j) true where position j of sample n is "
                      "padding");
        run<BatchIn::shape[0]>(in.data(), out.data());
    }

    // The same with the key padding mask of a key_padding_mask<true> network: mask(n, j) is true
    // where position j of sample n is padding (PyTorch's convention), or valid lengths: positions
    // from valid_lengths[n] on are padding. A sample whose keys are all padding gives NaN, as in
    // PyTorch (layers/multihead_attention.hpp).
    template <std::size_t Positions>
    [[gnu::flatten]] void forward(const input_type& in, output_type& out, const Tensor<bool, Positions>& mask) {
        run_with_padding<1, Positions>(in.data(), out.data(), {mask.data(), nullptr, key_padding_positions});
    }
    [[gnu::flatten]] void forward(const input_type& in, output_type& out, std::size_t valid_length) {
        run_with_padding<1, key_padding_positions>(in.data(), out.data(),
                                                   {nullptr, &valid_length, key_padding_positions});
    }
    template <class BatchIn, class BatchOut, std::size_t Positions>
        requires(std::is_same_v<BatchIn, batch_input_type<BatchIn::shape[0]>> &&
                 std::is_same_v<BatchOut, batch_output_type<BatchIn::shape[0]>>)
    [[gnu::flatten]] void forward(const BatchIn& in, BatchOut& out,
                                  const Tensor<bool, BatchIn::shape[0], Positions>& mask) {
        static_assert(BatchIn::shape[0] <= Batch,
                      "typenet::Model::forward: this batch is larger than the Model's Batch parameter");
        run_with_padding<BatchIn::shape[0], Positions>(in.data(), out.data(),
                                                       {mask.data(), nullptr, key_padding_positions});
    }
    template <class BatchIn, class BatchOut>
        requires(std::is_same_v<BatchIn, batch_input_type<BatchIn::shape[0]>> &&
                 std::is_same_v<BatchOut, batch_output_type<BatchIn::shape[0]>>)
    [[gnu::flatten]] void forward(const BatchIn& in, BatchOut& out,
                                  const std::array<std::size_t, BatchIn::shape[0]>& valid_lengths) {
        static_assert(BatchIn::shape[0] <= Batch,
                      "typenet::Model::forward: this batch is larger than the Model's Batch parameter");
        run_with_padding<BatchIn::shape[0], key_padding_positions>(
            in.data(), out.data(), {nullptr, valid_lengths.data(), key_padding_positions});
    }

private:
    // The mask is published for the duration of the call (detail/key_padding.hpp).
    template <std::size_t B, std::size_t Positions>
    void run_with_padding(const input_element* in, T* out, detail::key_padding padding) {
        static_assert(takes_key_padding_mask,
                      "typenet::Model::forward: this network has no layer with key_padding_mask<true>, so call "
                      "forward(input, output) without a mask, or give the option to its MultiheadAttention or encoder");
        static_assert(!takes_key_padding_mask || Positions == key_padding_positions,
                      "typenet::Model::forward: the mask must have one entry per position of the sequences the "
                      "key_padding_mask<true> layers get (Model::key_padding_positions)");
        if (padding.lengths)
            for (std::size_t n = 0; n < B; ++n)
                if (padding.lengths[n] > key_padding_positions)
                    throw error(detail::concat({"typenet: the valid length ", std::to_string(padding.lengths[n]),
                                                " of sample ", std::to_string(n), " exceeds the ",
                                                std::to_string(key_padding_positions), " positions of the sequence"}));
        const detail::key_padding_scope scope(padding);
        run<B>(in, out);
    }

    template <std::size_t B>
    void run(const input_element* in, T* out) {
        if constexpr (!shapes_fit) {
        } else if constexpr (std::is_same_v<input_element, T>) {
            detail::forward_module<Net, T, input_shape, B>(this->parameters(), in, out, workspace_);
        } else {
            detail::token_ids<T, input_shape.numel()>(in, ids_.data(), B);
            detail::forward_module<Net, T, input_shape, B>(this->parameters(), ids_.data(), out, workspace_);
        }
    }

    alignas(state_alignment) T workspace_[workspace_elements > 0 ? workspace_elements : 1];
    // A Tokens<...> input's ids as scalars, for the network (nothing for other inputs).
    [[no_unique_address]] std::conditional_t<std::is_same_v<input_element, T>, detail::no_token_ids,
                                             Tensor<T, Batch * input_shape.numel()>> ids_;
};

}  // namespace typenet
