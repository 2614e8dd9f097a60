// Trainable: a Model that also learns. It adds, for batches of up to Batch samples, train() and
// eval() modes, a forward pass that keeps what the backward pass needs, backward(), and the
// gradients: one block laid out like the state block (gradient of entry e at e.offset), which
// backward adds into (accumulating across calls, as PyTorch does) until zero_grad(). Everything
// is allocated with the object, so a training step allocates nothing. It is a Model (load, save,
// at<Key>(), set_requires_grad ...), and large: put it on the heap. Like a Model, it takes
// Input<...> or Tokens<...> (token ids into an Embedding: docs/training.md).
//
//     using Net = typenet::Sequential<typenet::Linear<4, 8>, typenet::Tanh, typenet::Linear<8, 3>>;
//     using M = typenet::Trainable<Net, typenet::Input<4>, float, 16>;
//     auto model = std::make_unique<M>();
//     typenet::SGD optimizer(*model, {.lr = 0.1, .momentum = 0.9});
//     M::batch_input_type<16> x{};
//     M::batch_output_type<16> logits, grad;
//     std::array<std::int64_t, 16> labels{};
//     model->train();
//     optimizer.zero_grad();                                          // optimizer.zero_grad()
//     model->forward(x, logits);                                      // logits = model(x)
//     float loss = typenet::cross_entropy(logits, labels, grad);     // loss = F.cross_entropy(...)
//     model->backward(grad);                                          // loss.backward()
//     optimizer.step();                                               // optimizer.step()
//     (void)loss;
//
// Like a PyTorch module, a Trainable starts in train() mode: Dropout drops (from manual_seed's
// generator, backward.hpp) and BatchNorm normalises with the batch's statistics and updates its
// running ones. Its forward is always this recording one: the plain Model's inference kernels
// (fused, split over threads) are the base class's: static_cast<M::model_type&>(*model).forward.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <type_traits>

#include "backward.hpp"
#include "detail/training.hpp"
#include "error.hpp"
#include "model.hpp"

namespace typenet {

template <Module Net, class InputShape, class T = float, std::size_t Batch = 1>
class Trainable : public Model<Net, InputShape, T, Batch> {
public:
    using model_type = Model<Net, InputShape, T, Batch>;
    using typename model_type::input_type;
    using typename model_type::output_type;
    template <std::size_t B>
    using batch_input_type = typename model_type::template batch_input_type<B>;
    template <std::size_t B>
    using batch_output_type = typename model_type::template batch_output_type<B>;
    using model_type::input_shape;
    using model_type::output_shape;
    using model_type::state_bytes;
    using model_type::state_dict;

    using model_type::key_padding_positions;
    using model_type::takes_key_padding_mask;

    // Scalars the training forward keeps for backward, and its scratch, for Batch samples.
    static constexpr std::size_t tape_elements = detail::tape_of<Net, T, input_shape, Batch>;
    static constexpr std::size_t train_scratch_elements = detail::train_scratch_of<Net, T, input_shape, Batch>;

    Trainable() { zero_grad(); }

    // train() / eval(), as in PyTorch: what Dropout and BatchNorm do in the forward pass.
    void train(bool mode = true) { training_ = mode; }
    void eval() { training_ = false; }
    bool training() const { return training_; }

    // The seed of the random generator behind Dropout's masks (backward.hpp).
    void manual_seed(std::uint64_t seed) { random_.state = seed; }

    // Forward pass of one sample or a compile-time batch of B <= Batch samples, in the current mode,
    // keeping what backward needs (the input is copied).
    void forward(const input_type& in, output_type& out) {
        without_mask();
        record<1>(in.data(), out.data());
    }
    template <class BatchIn, class BatchOut>
        requires(std::is_same_v<BatchIn, batch_input_type<BatchIn::shape[0]>> &&
                 std::is_same_v<BatchOut, batch_output_type<BatchIn::shape[0]>>)
    void forward(const BatchIn& in, BatchOut& out) {
        static_assert(BatchIn::shape[0] <= Batch,
                      "typenet::Trainable::forward: this batch is larger than the model's Batch parameter");
        without_mask();
        record<BatchIn::shape[0]>(in.data(), out.data());
    }
    // A network with a key_padding_mask<true> layer takes the key padding mask too, as
    // Model::forward does: mask(n, j) true where position j of sample n is padding, or valid
    // lengths. The backward pass goes through the last forward's mask (kept).
    template <std::size_t Positions>
    void forward(const input_type& in, output_type& out, const Tensor<bool, Positions>& mask) {
        record_with_padding<1, Positions>(in.data(), out.data(), {mask.data(), nullptr, key_padding_positions});
    }
    void forward(const input_type& in, output_type& out, std::size_t valid_length) {
        record_with_padding<1, key_padding_positions>(in.data(), out.data(),
                                                      {nullptr, &valid_length, key_padding_positions});
    }
    template <class BatchIn, class BatchOut, std::size_t Positions>
        requires(std::is_same_v<BatchIn, batch_input_type<BatchIn::shape[0]>> &&
                 std::is_same_v<BatchOut, batch_output_type<BatchIn::shape[0]>>)
    void forward(const BatchIn& in, BatchOut& out, const Tensor<bool, BatchIn::shape[0], Positions>& mask) {
        static_assert(BatchIn::shape[0] <= Batch,
                      "typenet::Trainable::forward: this batch is larger than the model's Batch parameter");
        record_with_padding<BatchIn::shape[0], Positions>(in.data(), out.data(),
                                                          {mask.data(), nullptr, key_padding_positions});
    }
    template <class BatchIn, class BatchOut>
        requires(std::is_same_v<BatchIn, batch_input_type<BatchIn::shape[0]>> &&
                 std::is_same_v<BatchOut, batch_output_type<BatchIn::shape[0]>>)
    void forward(const BatchIn& in, BatchOut& out, const std::array<std::size_t, BatchIn::shape[0]>& valid_lengths) {
        static_assert(BatchIn::shape[0] <= Batch,
                      "typenet::Trainable::forward: this batch is larger than the model's Batch parameter");
        record_with_padding<BatchIn::shape[0], key_padding_positions>(
            in.data(), out.data(), {nullptr, valid_lengths.data(), key_padding_positions});
    }

    // Adds the gradients of the last forward's loss into gradients(), given dL/d(output) for its
    // samples (a loss function's gradient, losses.hpp). Parameters that do not learn (requires_grad
    // false, Frozen<>) get none.
    void backward(const output_type& grad_out) { run_backward<1>(grad_out.data()); }
    template <class BatchOut>
        requires std::is_same_v<BatchOut, batch_output_type<BatchOut::shape[0]>>
    void backward(const BatchOut& grad_out) {
        run_backward<BatchOut::shape[0]>(grad_out.data());
    }

    void zero_grad() { std::memset(grads_, 0, sizeof grads_); }

    // The gradient block (like state(): entry e's gradient at e.offset, in the model's scalar type).
    std::span<std::byte, state_bytes> gradients() { return std::span<std::byte, state_bytes>(grads_, state_bytes); }
    std::span<const std::byte, state_bytes> gradients() const {
        return std::span<const std::byte, state_bytes>(grads_, state_bytes);
    }
    // One parameter's gradient, like p.grad.
    std::span<T> grad(const state_entry& e) { return {reinterpret_cast<T*>(grads_ + e.offset), checked(e).numel}; }
    std::span<const T> grad(const state_entry& e) const {
        return {reinterpret_cast<const T*>(grads_ + e.offset), checked(e).numel};
    }
    std::span<T> grad(std::string_view key) { return grad(this->entry(key)); }
    std::span<const T> grad(std::string_view key) const { return grad(this->entry(key)); }

    // Whether entry e learns (a parameter with requires_grad).
    bool learns(const state_entry& e) const { return this->requires_grad_flags()[index_of(e)]; }
    // The parameters' values, writable (optimizers).
    std::span<T> values(const state_entry& e) {
        return {reinterpret_cast<T*>(this->mutable_parameters() + e.offset), checked(e).numel};
    }

private:
    static constexpr std::size_t index_of(const state_entry& e) { return std::size_t(&e - state_dict.data()); }
    static const state_entry& checked(const state_entry& e) {
        if (!e.is_parameter())
            throw error(detail::concat({"typenet: ", e.key, " is a buffer, not a parameter: it has no gradient"}));
        return e;
    }

    static constexpr auto entry_offsets = [] {
        std::array<std::size_t, state_dict.size()> a{};
        for (std::size_t i = 0; i < a.size(); ++i) a[i] = state_dict[i].offset;
        return a;
    }();
    static constexpr auto entry_ends = [] {
        std::array<std::size_t, state_dict.size()> a{};
        for (std::size_t i = 0; i < a.size(); ++i) a[i] = state_dict[i].offset + state_dict[i].nbytes;
        return a;
    }();

    detail::train_context context() {
        detail::train_context c;
        c.training = training_;
        c.random = &random_;
        c.learning = {this->parameters(), entry_offsets.data(), entry_ends.data(), this->requires_grad_flags().data(),
                      state_dict.size()};
        return c;
    }

    static void without_mask() {
        static_assert(!takes_key_padding_mask,
                      "typenet::Trainable::forward: this network has a layer with key_padding_mask<true>, so pass the "
                      "mask too: forward(input, output, mask), mask(n, j) true where position j of sample n is "
                      "padding");
    }

    // The mask is kept (as booleans) for backward, and published during the forward pass
    // (detail/key_padding.hpp).
    template <std::size_t B, std::size_t Positions>
    void record_with_padding(const typename model_type::input_element* in, T* out, detail::key_padding padding) {
        model_type::template check_key_padding<B, Positions>(padding);
        for (std::size_t n = 0; n < B; ++n)
            for (std::size_t j = 0; j < key_padding_positions; ++j)
                padding_[n * key_padding_positions + j] = padding.padded(n, j);
        const detail::key_padding_scope scope(kept_padding());
        record<B>(in, out);
    }
    detail::key_padding kept_padding() const { return {padding_, nullptr, key_padding_positions}; }

    // A Tokens<...> input's ids become scalars, as in Model (model.hpp): the network, an Embedding
    // first, reads them as T; no gradient flows into them.
    template <std::size_t B>
    void record(const typename model_type::input_element* in, T* out) {
        static_assert(detail::tape_of<Net, T, input_shape, B> <= tape_elements &&
                      detail::train_scratch_of<Net, T, input_shape, B> <= train_scratch_elements);
        constexpr std::size_t in_size = B * input_shape.numel(), out_size = B * output_shape.numel();
        if constexpr (std::is_same_v<typename model_type::input_element, T>)
            std::memcpy(input_, in, in_size * sizeof(T));
        else
            detail::token_ids<T, input_shape.numel()>(in, input_, B);
        recorded_samples_ = 0;
        recorded_training_ = training_;
        detail::train_forward_module<Net, T, input_shape, B>(context(), this->mutable_parameters(), input_, tape_,
                                                             scratch_);
        std::memcpy(out, tape_ + detail::output_at<Net, T, input_shape, B>, out_size * sizeof(T));
        recorded_samples_ = B;
    }

    template <std::size_t B>
    void run_backward(const T* grad_out) {
        if (recorded_samples_ != B)
            throw error(recorded_samples_ == 0
                            ? std::string("typenet::Trainable::backward: no forward pass to go back through: call "
                                          "forward first (each forward allows one backward)")
                            : detail::concat({"typenet::Trainable::backward: the gradient is for ", std::to_string(B),
                                              " samples, the last forward ran ", std::to_string(recorded_samples_)}));
        detail::train_context c = context();
        c.training = recorded_training_;
        const detail::key_padding_scope scope(takes_key_padding_mask ? kept_padding() : detail::current_key_padding);
        detail::backward_module<Net, T, input_shape, B>(c, this->parameters(), grads_, input_, tape_, grad_out, nullptr,
                                                        scratch_);
        recorded_samples_ = 0;
    }

    bool training_ = true;
    bool recorded_training_ = true;
    std::size_t recorded_samples_ = 0;
    random_bits random_{};
    bool padding_[takes_key_padding_mask ? Batch * key_padding_positions : 1] = {};  // the last forward's mask
    alignas(state_alignment) std::byte grads_[state_bytes > 0 ? state_bytes : 1];
    alignas(state_alignment) T input_[Batch * input_shape.numel()];
    alignas(state_alignment) T tape_[tape_elements > 0 ? tape_elements : 1];
    alignas(state_alignment) T scratch_[train_scratch_elements > 0 ? train_scratch_elements : 1];
};

}  // namespace typenet
