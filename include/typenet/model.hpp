// Model: a network type instantiated for a per-sample input shape, a scalar type and the largest
// compile-time batch it will run. It owns the state block (all parameters and buffers,
// contiguous, in state_dict order) and the forward workspace; both have compile-time sizes, so
// a Model never allocates. It is large: put it in static storage or on the heap. The input is
// Input<...> (scalars of type T) or Tokens<...> (integer token ids, for an Embedding: shape.hpp).
// Its state_dict surface (state_dict, state(), bytes(), at<Key>(), ...) is detail/state_block.hpp's,
// which Stream (stream.hpp) shares.
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

    // Scalars of scratch memory the forward pass of Batch samples uses: a compile-time constant.
    static constexpr std::size_t workspace_elements = detail::scratch_of<Net, T, input_shape, Batch>;

    // Every entry at its initial value (state_block.hpp: zeros, and ones for BatchNorm's weight
    // and running_var).
    Model() { detail::start_thread_runtime(); }

    // Forward pass, for one sample or a compile-time batch of B <= Batch samples. Everything is
    // inlined into this call; nothing is allocated.
    [[gnu::flatten]] void forward(const input_type& in, output_type& out) {
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
        run<BatchIn::shape[0]>(in.data(), out.data());
    }

private:
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
