// Model: a network type instantiated for a per-sample input shape, a scalar type and the largest
// compile-time batch it will run. It owns the state block (all parameters and buffers,
// contiguous, in state_dict order) and the forward workspace; both have compile-time sizes, so
// a Model never allocates. It is large: put it in static storage or on the heap. The input is
// Input<...> (scalars of type T) or Tokens<...> (integer token ids, for an Embedding: shape.hpp).
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
#include "detail/fixed_string.hpp"
#include "dtype.hpp"
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
class Model {
    static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>,
                  "typenet::Model: the scalar type must be float or double");
    static_assert(Batch >= 1, "typenet::Model: the batch size must be at least 1");
    using analysis = detail::analysis<Net, InputShape::value>;
    static constexpr bool shapes_fit = analysis::ok;
    // The first broken shape rule, if any, fails to compile here (see shape_error.hpp).
    static_assert(sizeof(typename decltype(shape_error::detail::report_type<analysis>())::type) > 0);

public:
    using network = Net;
    using scalar_type = T;
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

    // Every module of the tree in visiting order, the model itself first.
    static constexpr auto modules = [] {
        std::array<module_info, analysis::counts.modules> out{};
        for (std::size_t i = 0; i < out.size(); ++i) {
            const auto& row = analysis::table.modules[i];
            out[i] = {analysis::text(row.path_offset, row.path_length), row.type_name, row.depth,
                      row.input, row.output, row.first_entry, row.end_entry, row.is_layer, row.version};
        }
        return out;
    }();

    // The state_dict entries in PyTorch's order, with their place in the state block.
    static constexpr auto state_dict = [] {
        std::array<state_entry, analysis::counts.entries> out{};
        std::size_t offset = 0;
        for (std::size_t i = 0; i < out.size(); ++i) {
            const auto& row = analysis::table.entries[i];
            const dtype type = row.spec.int64 ? dtype::int64 : dtype_of<T>;
            const std::size_t numel = row.spec.shape.numel();
            out[i] = {analysis::text(row.key_offset, row.key_length), row.spec.shape, type, row.spec.kind, numel,
                      numel * size_of(type), offset, row.module, row.spec.initial_value};
            offset += entry_bytes(row.spec, sizeof(T));
        }
        return out;
    }();

    static constexpr std::size_t state_bytes = detail::state_bytes<Net, T>;

    static constexpr std::size_t parameter_count = count_parameters(state_dict, modules[0]);

    // The module at `path` ("features", "features.0"; "" is the model). Unknown paths do not compile
    // in a constant expression and throw state_dict_error at run time.
    static constexpr const module_info& module(std::string_view path) {
        const module_info* m = find_module(modules, path);
        if (!m) throw state_dict_error(detail::concat({"typenet: the model has no module \"", path, "\""}));
        return *m;
    }
    static constexpr const state_entry& entry(std::string_view key) {
        const state_entry* e = find_entry(state_dict, key);
        if (!e) throw state_dict_error(detail::concat({"typenet: the model's state_dict has no key \"", key, "\""}));
        return *e;
    }
    static constexpr std::size_t parameter_count_of(std::string_view module_path) {
        return count_parameters(state_dict, module(module_path));
    }
    // Like PyTorch's model.features.named_parameters(): the parameter entries of a sub-module.
    static constexpr auto named_parameters(std::string_view module_path = {}) {
        return parameters_of(state_dict, module(module_path));
    }

    // Scalars of scratch memory the forward pass of Batch samples uses: a compile-time constant.
    static constexpr std::size_t workspace_elements = detail::scratch_of<Net, T, input_shape, Batch>;

    // Every entry at its initial value: zeros, and ones for BatchNorm's weight and running_var.
    Model() {
        reset_state();
        detail::start_thread_runtime();
    }

    void reset_state() {
        std::memset(state_, 0, sizeof state_);
        for (const state_entry& e : state_dict) {
            if (e.initial_value == 0) continue;
            if (e.dtype == dtype::int64) std::fill_n(data<std::int64_t>(e), e.numel, e.initial_value);
            else std::fill_n(data<T>(e), e.numel, T(e.initial_value));
        }
    }

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

    // The state block: all entries, contiguous, at the offsets of state_dict.
    std::span<std::byte, state_bytes> state() { return std::span<std::byte, state_bytes>(state_, state_bytes); }
    std::span<const std::byte, state_bytes> state() const {
        return std::span<const std::byte, state_bytes>(state_, state_bytes);
    }

    // The bytes of one entry (numel * size_of(dtype)), by entry or by key.
    std::span<std::byte> bytes(const state_entry& e) { return state().subspan(e.offset, e.nbytes); }
    std::span<const std::byte> bytes(const state_entry& e) const { return state().subspan(e.offset, e.nbytes); }
    std::span<std::byte> bytes(std::string_view key) { return bytes(entry(key)); }
    std::span<const std::byte> bytes(std::string_view key) const { return bytes(entry(key)); }

    // Typed access checked at compile time: model.at<"features.0.weight">() is a std::span<float, 288>.
    template <detail::fixed_string Key>
    auto at() {
        constexpr const state_entry& e = state_dict[index_of_key<Key>()];
        using element = std::conditional_t<e.dtype == dtype::int64, std::int64_t, T>;
        return std::span<element, e.numel>(data<element>(e), e.numel);
    }
    template <detail::fixed_string Key>
    auto at() const {
        constexpr const state_entry& e = state_dict[index_of_key<Key>()];
        using element = std::conditional_t<e.dtype == dtype::int64, std::int64_t, T>;
        return std::span<const element, e.numel>(data<element>(e), e.numel);
    }

    // requires_grad of every parameter, kept as metadata for training (the forward pass ignores
    // it). Like `for p in model.features.parameters(): p.requires_grad = False`.
    void set_requires_grad(std::string_view module_path, bool value) {
        for (const state_entry& e : named_parameters(module_path)) requires_grad_[index_of(e)] = value;
    }
    bool requires_grad(std::string_view key) const {
        const state_entry& e = entry(key);
        return e.is_parameter() && requires_grad_[index_of(e)];
    }

private:
    template <std::size_t B>
    void run(const input_element* in, T* out) {
        if constexpr (!shapes_fit) {
        } else if constexpr (std::is_same_v<input_element, T>) {
            detail::forward_module<Net, T, input_shape, B>(state_, in, out, workspace_);
        } else {
            detail::token_ids<T, input_shape.numel()>(in, ids_.data(), B);
            detail::forward_module<Net, T, input_shape, B>(state_, ids_.data(), out, workspace_);
        }
    }
    template <class E>
    E* data(const state_entry& e) {
        return reinterpret_cast<E*>(state_ + e.offset);
    }
    template <class E>
    const E* data(const state_entry& e) const {
        return reinterpret_cast<const E*>(state_ + e.offset);
    }
    static constexpr std::size_t index_of(const state_entry& e) { return std::size_t(&e - state_dict.data()); }
    template <detail::fixed_string Key>
    static constexpr std::size_t index_of_key() {
        constexpr std::size_t index = [] {
            std::size_t i = 0;
            while (i < state_dict.size() && state_dict[i].key != Key.view()) ++i;
            return i;
        }();
        static_assert(index < state_dict.size(), "typenet::Model::at<Key>: the model's state_dict has no such key");
        return index;
    }

    alignas(state_alignment) std::byte state_[state_bytes > 0 ? state_bytes : 1];
    alignas(state_alignment) T workspace_[workspace_elements > 0 ? workspace_elements : 1];
    // A Tokens<...> input's ids as scalars, for the network (nothing for other inputs).
    [[no_unique_address]] std::conditional_t<std::is_same_v<input_element, T>, detail::no_token_ids,
                                             Tensor<T, Batch * input_shape.numel()>> ids_;
    std::array<bool, state_dict.size()> requires_grad_ = [] {
        std::array<bool, state_dict.size()> flags{};
        for (std::size_t i = 0; i < flags.size(); ++i) flags[i] = state_dict[i].is_parameter();
        return flags;
    }();
};

}  // namespace typenet
