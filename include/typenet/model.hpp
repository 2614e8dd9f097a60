// Model: a network type instantiated for a per-sample input shape, a scalar type and the largest
// compile-time batch it will run. It owns the state block (all parameters and buffers,
// contiguous, in state_dict order) and a forward workspace; both have compile-time sizes, so
// a Model never allocates. It is large: put it in static storage or on the heap. The input is
// Input<...> (scalars of type T) or Tokens<...> (integer token ids, for an Embedding: shape.hpp).
// Its state_dict surface (state_dict, state(), bytes(), at<Key>(), ...) is detail/state_block.hpp's,
// which Stream (stream.hpp) shares.
// A network with a key_padding_mask<true> layer (layers/multihead_attention.hpp) takes, beside
// the input, which positions of each sample are padding: forward(input, output, mask or lengths).
//
//     using Net = typenet::Sequential<typenet::Flatten, typenet::Linear<784, 10>>;
//     using M = typenet::Model<Net, typenet::Input<1, 28, 28>, float, 8>;
//     static_assert(M::output_shape == typenet::shape{10});
//     static_assert(M::parameter_count == 7850);
//     auto model = std::make_unique<M>();
//     M::input_type image{};
//     M::output_type logits = model->forward(image);
//     // Any number of samples, known at run time: flat, row-major, in chunks of the Batch (8).
//     std::vector<float> images(20 * 784), all_logits(20 * 10);
//     model->forward(images, all_logits);
//     // Threads share one Model; each brings its own workspace.
//     auto workspace = std::make_unique<M::workspace_type>();
//     std::as_const(*model).forward(images, all_logits, *workspace);
//
// forward(in, out) takes one sample (input_type), a compile-time batch of B <= Batch samples
// (batch_input_type<B>), or flat buffers (std::span, std::vector, a Tensor's flat(); aligned as
// their elements need, no more) holding n samples for any n, row-major, checked at run time: the
// input must hold a whole number of samples and the output n samples' outputs, else a
// typenet::error naming the sizes. Two Tensors of other shapes are a compile error. n samples run
// in chunks of Batch through the batch kernels, then the rest in batches of 2^k samples (at most
// one of each size below Batch). A sample's outputs may differ in the last bits with its place
// among the n, since batch sizes can take different kernels (adding in other orders); the same call
// gives the same bits every time.
//
// Threads. forward(in, out, workspace) const reads the state and writes only `workspace` and
// `out`: any number of threads may run it at once on one Model, each with its own
// workspace_type (scratch only, nothing kept between calls). forward(in, out) uses the Model's
// own workspace: one thread at a time. Reading the state from many threads (const forwards,
// save_state_dict, save_safetensors) is safe; writing it (load_state_dict, reset_state, writes
// through at<Key>() or bytes()) while any other thread runs a forward or a save is a data race:
// load before starting the threads, or hold a lock. With OpenMP, a forward that is not inside
// an OpenMP parallel region spreads large matrix products and large batches over
// omp_get_max_threads() threads. Threads of your own are not inside one, so T of them running
// forward at once may start T teams: the results are the same, but more threads than cores
// compete. A server with a thread per core should set OMP_NUM_THREADS=1 (or call
// omp_set_num_threads(1) in each of its threads), or run forward inside its own parallel region.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
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

private:
    // A compile-time batch: batch_input_type<B> and batch_output_type<B> of one B.
    template <class BatchIn, class BatchOut>
    static constexpr bool matching_batch = requires {
        requires std::is_same_v<BatchIn, batch_input_type<BatchIn::shape[0]>>;
        requires std::is_same_v<BatchOut, batch_output_type<BatchIn::shape[0]>>;
    };

public:
    // A network with a key_padding_mask<true> layer (MultiheadAttention, a Transformer encoder, Mean)
    // takes, per call, which of the key_padding_positions positions of each sample are padding.
    static constexpr bool takes_key_padding_mask = analysis::counts.key_padding_layers > 0;
    static constexpr std::size_t key_padding_positions = analysis::counts.key_padding_positions;
    using key_padding_mask_type = Tensor<bool, std::max<std::size_t>(key_padding_positions, 1)>;
    template <std::size_t B>
    using batch_key_padding_mask_type = Tensor<bool, B, std::max<std::size_t>(key_padding_positions, 1)>;

    // Scalars of scratch memory the forward pass of Batch samples uses: a compile-time constant.
    static constexpr std::size_t workspace_elements = detail::scratch_of<Net, T, input_shape, Batch>;

    // The memory a forward pass of up to Batch samples works in: scratch, and for a Tokens<...>
    // input the ids as scalars. Nothing in it lasts from one call to the next, so it needs no
    // initialisation and any workspace_type serves any Model of this type. Large like the Model's
    // activations: put it on the heap (std::make_unique<M::workspace_type>()) or in static storage.
    class workspace_type {
        friend class Model;
        alignas(state_alignment) T scratch_[workspace_elements > 0 ? workspace_elements : 1];
        [[no_unique_address]] std::conditional_t<std::is_same_v<input_element, T>, detail::no_token_ids,
                                                 Tensor<T, Batch * input_shape.numel()>> ids_;
    };

    // Every entry at its initial value (state_block.hpp: zeros, and ones for BatchNorm's weight
    // and running_var).
    Model() { detail::start_thread_runtime(); }

    // Forward pass, in the Model's own workspace (one thread at a time): one sample, a compile-time
    // batch of B <= Batch samples, or any number of samples in flat buffers. Nothing is allocated.
    void forward(const input_type& in, output_type& out) { forward(in, out, workspace_); }
    output_type forward(const input_type& in) { return forward(in, workspace_); }
    template <class BatchIn, class BatchOut>
        requires matching_batch<BatchIn, BatchOut>
    void forward(const BatchIn& in, BatchOut& out) {
        forward(in, out, workspace_);
    }
    void forward(std::span<const input_element> in, std::span<T> out) { forward(in, out, workspace_); }

    // The same in the caller's workspace: const, so threads share the Model (see the top of this file).
    void forward(const input_type& in, output_type& out, workspace_type& workspace) const {
        without_mask();
        run<1>(in.data(), out.data(), workspace);
    }
    output_type forward(const input_type& in, workspace_type& workspace) const {
        output_type out;
        forward(in, out, workspace);
        return out;
    }
    template <class BatchIn, class BatchOut>
        requires matching_batch<BatchIn, BatchOut>
    void forward(const BatchIn& in, BatchOut& out, workspace_type& workspace) const {
        static_assert(BatchIn::shape[0] <= Batch,
                      "typenet::Model::forward: this batch is larger than the Model's Batch parameter");
        without_mask();
        run<BatchIn::shape[0]>(in.data(), out.data(), workspace);
    }
    void forward(std::span<const input_element> in, std::span<T> out, workspace_type& workspace) const {
        without_mask();
        run_samples(in, out, workspace);
    }

    // Two Tensors that are not one of the pairs above would pass as flat buffers of a run-time
    // number of samples; they are compile errors, as the shapes of Tensors always are.
    template <class In, class Out>
        requires(!matching_batch<In, Out> && detail::is_tensor<In> && detail::is_tensor<Out>)
    void forward(const In& in, Out& out) {
        forward(in, out, workspace_);
    }
    template <class In, class Out>
        requires(!matching_batch<In, Out> && detail::is_tensor<In> && detail::is_tensor<Out>)
    void forward(const In&, Out&, workspace_type&) const {
        static_assert(sizeof(In) == 0,
                      "typenet::Model::forward: these Tensors are not the Model's input_type and output_type, nor "
                      "batch_input_type<B> and batch_output_type<B>; for a number of samples known at run time, "
                      "pass flat buffers (std::span, std::vector; a Tensor's flat())");
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

protected:
    // A forward call's key padding mask fits the network (Trainable's forward checks it too).
    template <std::size_t B, std::size_t Positions>
    static void check_key_padding(const detail::key_padding& padding) {
        static_assert(takes_key_padding_mask,
                      "typenet::Model::forward: this network has no layer with key_padding_mask<true>, so call "
                      "forward(input, output) without a mask, or give the option to its MultiheadAttention or encoder");
        static_assert(!takes_key_padding_mask || Positions == key_padding_positions,
                      "typenet::Model::forward: the mask must have one entry per position of the sequences the "
                      "key_padding_mask<true> layers get (Model::key_padding_positions)");
        detail::check_valid_lengths(padding, B);
    }

private:
    // Every forward without a mask ends in a const one, which calls this.
    static void without_mask() {
        static_assert(!takes_key_padding_mask,
                      "typenet::Model::forward: this network has a layer with key_padding_mask<true>, so pass the "
                      "mask too: forward(input, output, mask), mask(n, j) true where position j of sample n is "
                      "padding");
    }

    // The mask is published for the duration of the call (detail/key_padding.hpp).
    template <std::size_t B, std::size_t Positions>
    void run_with_padding(const input_element* in, T* out, detail::key_padding padding) {
        check_key_padding<B, Positions>(padding);
        const detail::key_padding_scope scope(padding);
        run<B>(in, out, workspace_);
    }

    // B samples, B <= Batch, everything inlined into this call.
    template <std::size_t B>
    [[gnu::flatten]] void run(const input_element* in, T* out, workspace_type& workspace) const {
        if constexpr (!shapes_fit) {
        } else if constexpr (std::is_same_v<input_element, T>) {
            detail::forward_module<Net, T, input_shape, B>(this->parameters(), in, out, workspace.scratch_);
        } else {
            T* ids = workspace.ids_.data();
            detail::token_ids<T, input_shape.numel()>(in, ids, B);
            detail::forward_module<Net, T, input_shape, B>(this->parameters(), ids, out, workspace.scratch_);
        }
    }

    // n samples, n known at run time: chunks of Batch, then the rest (fewer than Batch) in batches
    // of 2^k samples, largest first. Each batch size is a kernel of its own: these log2(Batch) sizes
    // cost a fraction of the compile time of every size below Batch and run the rest nearly as fast
    // (one sample at a time is up to twice as slow per sample).
    void run_samples(std::span<const input_element> in, std::span<T> out, workspace_type& workspace) const {
        constexpr std::size_t in_size = input_shape.numel(), out_size = output_shape.numel();
        if (in.size() % in_size != 0)
            throw error(detail::concat({"typenet::Model::forward: the input holds ", std::to_string(in.size()),
                                        " values, not a whole number of samples of shape ", to_string(input_shape),
                                        " (", std::to_string(in_size), " values each)"}));
        const std::size_t n = in.size() / in_size;
        if (out.size() != n * out_size)
            throw error(detail::concat({"typenet::Model::forward: the output holds ", std::to_string(out.size()),
                                        " values; the input's ", std::to_string(n), " samples give ",
                                        std::to_string(n * out_size), " (", std::to_string(out_size),
                                        " values of shape ", to_string(output_shape), " each)"}));
        std::size_t first = 0;
        try {
            for (; first + Batch <= n; first += Batch)
                run<Batch>(in.data() + first * in_size, out.data() + first * out_size, workspace);
            if constexpr (Batch > 1) run_rest<std::bit_floor(Batch - 1)>(in, out, first, n, workspace);
        } catch (const error& e) {
            // An error about a sample (a token id out of range) numbers it within its batch.
            throw error(detail::concat({e.what(), " (sample numbers count from the batch's first sample: sample ",
                                        std::to_string(first), " of the ", std::to_string(n),
                                        " this call was given)"}));
        }
    }
    template <std::size_t P>
    void run_rest(std::span<const input_element> in, std::span<T> out, std::size_t& first, std::size_t n,
                  workspace_type& workspace) const {
        if (n - first >= P) {
            run<P>(in.data() + first * input_shape.numel(), out.data() + first * output_shape.numel(), workspace);
            first += P;
        }
        if constexpr (P > 1) run_rest<P / 2>(in, out, first, n, workspace);
    }

    workspace_type workspace_;
};

}  // namespace typenet
