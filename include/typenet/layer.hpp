// What a layer is. Every layer (Conv2d, ReLU, ...) is a small struct stating, as constants and
// constexpr functions, everything typenet derives from the type:
//
//     struct Scale2 {                                              // y = 2 x, no parameters
//         static constexpr std::string_view type_name = "Scale2";
//         static constexpr std::array<typenet::state_spec, 0> state{};
//         static constexpr typenet::shape_check infer(typenet::shape in) { return {in}; }
//         template <class T, typenet::shape In, std::size_t N>
//         static void propagate(typenet::layer_params<Scale2, T>, const T* in, T* out) {
//             for (std::size_t i = 0; i < N * In.numel(); ++i) out[i] = 2 * in[i];
//         }
//     };
//     static_assert(typenet::Layer<Scale2>);
//
// - `state`: the layer's own state_dict entries, in PyTorch's order (parameters, then buffers);
// - `infer`: the output shape for a per-sample input shape, or the rule the input breaks;
// - `propagate`: the forward kernel for a compile-time batch of N samples. The model hands it the
//   layer's entries (`layer_params`) inside the model's contiguous state block. Tuned kernels
//   replace a layer's `propagate` without touching anything else.
// - optional `in_place = true`: propagate also works when `in == out` (elementwise layers);
// - optional `sample_wise = true`: each sample is computed on its own and a larger batch brings
//   nothing, so a batch may be run a few samples at a time (for the cache) and across threads;
// - optional `state_dict_version`: PyTorch's Module._version, recorded in saved files (default 1).
// - optional `reads_key_padding_mask = true`: propagate reads the key padding mask of the forward
//   call (detail/key_padding.hpp; MultiheadAttention, Mean), and the Model then takes one.
// - streaming (stream.hpp): `stepwise = true` for a layer without memory across time steps, or
//   step_infer / step_state_size / step for one with memory (see steppable_layer below).
#pragma once

#include <array>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <type_traits>

#include "shape.hpp"
#include "shape_error.hpp"

namespace typenet {

// state_dict entries are either parameters (named_parameters()) or buffers (BatchNorm's running
// statistics); state_dict() holds both.
enum class entry_kind : unsigned char { parameter, buffer };

struct state_spec {
    std::string_view name;               // local name: "weight", "running_mean", ...
    typenet::shape shape;                // PyTorch's shape of the tensor
    entry_kind kind = entry_kind::parameter;
    bool int64 = false;                  // false: the model's scalar type; true: int64 (num_batches_tracked)
    int initial_value = 0;               // value before anything is loaded (BatchNorm's weight and var: 1)
};

constexpr state_spec parameter(std::string_view name, shape s, int initial_value = 0) {
    return {name, s, entry_kind::parameter, false, initial_value};
}
constexpr state_spec buffer(std::string_view name, shape s, int initial_value = 0) {
    return {name, s, entry_kind::buffer, false, initial_value};
}
constexpr state_spec int64_buffer(std::string_view name, shape s) {
    return {name, s, entry_kind::buffer, true, 0};
}

// The result of a layer's shape rule: the output shape, or the rule broken and its two sizes (or
// two shapes). A rule is one of typenet's own (shape_error::rule) or any layer's own words.
struct shape_check {
    shape output;
    shape_error::rule rule = shape_error::rule::none;
    std::size_t expected = 0;
    std::size_t actual = 0;
    std::string_view message = {};       // rule::custom: the layer's own message
    bool compares_shapes = false;        // true: the two values are shapes, not sizes
    shape expected_shape = {}, actual_shape = {};
    constexpr bool ok() const { return rule == shape_error::rule::none; }
};

// The failed rule, with the two sizes the compiler's message shows (see shape_error.hpp):
//     if (in.back() != N) return typenet::fail("MyNorm: the input's last dimension must be N "
//                                              "(first number: N, second: the input's)", N, in.back());
constexpr shape_check fail(shape_error::rule rule, std::size_t expected, std::size_t actual) {
    shape_check check;
    check.rule = rule;
    check.expected = expected;
    check.actual = actual;
    return check;
}
constexpr shape_check fail(std::string_view message, std::size_t expected, std::size_t actual) {
    shape_check check = fail(shape_error::rule::custom, expected, actual);
    check.message = message;
    return check;
}
// The same with two shapes, e.g. the two operands of an addition.
constexpr shape_check fail(shape_error::rule rule, shape expected, shape actual) {
    shape_check check = fail(rule, 0, 0);
    check.compares_shapes = true;
    check.expected_shape = expected;
    check.actual_shape = actual;
    return check;
}
constexpr shape_check fail(std::string_view message, shape expected, shape actual) {
    shape_check check = fail(shape_error::rule::custom, expected, actual);
    check.message = message;
    return check;
}

// Every state entry starts on a 64-byte boundary: a cache line, and the alignment of a 512-bit
// vector. The same rule lays out a layer's entries and the whole model's block.
inline constexpr std::size_t state_alignment = 64;

constexpr std::size_t aligned_bytes(std::size_t bytes) {
    return (bytes + state_alignment - 1) / state_alignment * state_alignment;
}
constexpr std::size_t entry_bytes(const state_spec& spec, std::size_t scalar_size) {
    return aligned_bytes(spec.shape.numel() * (spec.int64 ? sizeof(std::int64_t) : scalar_size));
}

namespace detail {
constexpr std::size_t aligned_elements(std::size_t n, std::size_t scalar_size) {
    return aligned_bytes(n * scalar_size) / scalar_size;
}
}  // namespace detail

template <class L>
concept Layer = requires(shape s) {
    { L::type_name } -> std::convertible_to<std::string_view>;
    { L::infer(s) } -> std::same_as<shape_check>;
    { L::state.size() } -> std::convertible_to<std::size_t>;
    { L::state[0] } -> std::convertible_to<state_spec>;
} || requires(shape s) {  // layers without state: std::array<state_spec, 0> has no operator[] to check
    { L::type_name } -> std::convertible_to<std::string_view>;
    { L::infer(s) } -> std::same_as<shape_check>;
    requires L::state.size() == 0;
};

// A layer's entries inside the model's state block.
template <class L, class T>
struct layer_params {
    const std::byte* base;

    constexpr explicit layer_params(const std::byte* entries) : base(entries) {}
    // No parameters: a layer without state runs as L::propagate<T, In, N>({nullptr}, in, out).
    constexpr layer_params(std::nullptr_t) : base(nullptr) {}  // NOLINT: implicit on purpose
    // A layer's parameters serve a layer derived from it (Frozen<L>, combinators/frozen.hpp).
    template <class Derived>
        requires(std::is_base_of_v<L, Derived> && !std::is_same_v<L, Derived>)
    constexpr layer_params(layer_params<Derived, T> derived) : base(derived.base) {}  // NOLINT: implicit on purpose

    template <std::size_t K>
    static constexpr std::size_t offset() {
        std::size_t bytes = 0;
        for (std::size_t k = 0; k < K; ++k) bytes += entry_bytes(L::state[k], sizeof(T));
        return bytes;
    }
    // The K-th entry of L::state, in the model's scalar type.
    template <std::size_t K>
    const T* get() const {
        static_assert(K < L::state.size() && !L::state[K].int64);
        // Entries are 64-byte aligned, but the kernels load vectors that need no alignment, and an
        // alignment assumption here sends Clang 14's AlignmentFromAssumptions pass into minutes of
        // work on large models (seen with -march=znver4 under UBSan).
        return reinterpret_cast<const T*>(base + offset<K>());
    }
};

template <class L>
inline constexpr bool in_place_layer = requires { requires L::in_place; };

// Streaming (stream.hpp) runs a network one time step at a time; a step's shape is the
// whole-sequence input's without its time axis. A layer takes part in one of two ways:
// (a) `static constexpr bool stepwise = true;`: it has no memory across steps and computes each
//     step on its own (Linear, activations, LayerNorm): a step is its propagate<T, StepIn, 1>,
//     and infer(step_in) gives the step's output shape;
// (b) memory across steps (RNNs, a causal Conv1d):
//       static constexpr shape_check step_infer(shape step_in);   // one step's output, or the rule broken
//       template <class T, shape StepIn> static constexpr std::size_t step_state_size();  // scalars kept
//       template <class T, shape StepIn>
//       static void step(layer_params<L, T> params, T* state, const T* in, T* out);  // state zero = start
// A layer with neither cannot be in a Stream: its path and the reason are a compile error.
template <class L>
concept steps_with_memory = requires(shape s) {
    { L::step_infer(s) } -> std::same_as<shape_check>;
};
template <class L>
inline constexpr bool stepwise_layer = requires { requires L::stepwise; };

namespace detail {
// The step of a layer that steps as the identity, without memory (its step_infer says when).
template <class Self>
struct identity_step {
    template <class T, shape StepIn>
    static constexpr std::size_t step_state_size() {
        return 0;
    }
    template <class T, shape StepIn>
    static void step(layer_params<Self, T>, T*, const T* in, T* out) {
        for (std::size_t i = 0; i < StepIn.numel(); ++i) out[i] = in[i];
    }
};

// The shape rule of one step of layer L.
template <class L>
constexpr shape_check step_check(shape step_in) {
    if constexpr (steps_with_memory<L>) {
        return L::step_infer(step_in);
    } else if constexpr (stepwise_layer<L>) {
        return L::infer(step_in);
    } else {
        return fail("Stream: this layer cannot run one time step at a time: it declares neither stepwise = true "
                    "(no memory across steps) nor step_infer/step_state_size/step (memory across steps; see "
                    "layer.hpp). Run the whole sequence with a Model, or give the layer a step.",
                    shape{}, step_in);
    }
}
}  // namespace detail

}  // namespace typenet
