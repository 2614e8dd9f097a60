// What a layer brings for training (trainable.hpp): its backward pass and, when training changes
// what its forward pass does (Dropout, BatchNorm), a training forward. Every layer typenet trains
// declares, beside its propagate (layer.hpp):
//
//     struct Scale2 {                                              // y = 2 x, no parameters
//         static constexpr std::string_view type_name = "Scale2";
//         static constexpr std::array<typenet::state_spec, 0> state{};
//         static constexpr typenet::shape_check infer(typenet::shape in) { return {in}; }
//         template <class T, typenet::shape In, std::size_t N>
//         static void propagate(typenet::layer_params<Scale2, T>, const T* in, T* out) {
//             for (std::size_t i = 0; i < N * In.numel(); ++i) out[i] = 2 * in[i];
//         }
//         // dL/din from dL/dout; parameter gradients (none here) are added into p.grads.
//         template <class T, typenet::shape In, std::size_t N>
//         static void backward(const typenet::backward_pass<Scale2, T>& p) {
//             if (p.grad_in)
//                 for (std::size_t i = 0; i < N * In.numel(); ++i) p.grad_in[i] = 2 * p.grad_out[i];
//         }
//     };
//     static_assert(typenet::TrainableLayer<Scale2>);
//
// - `backward<T, In, N>(p)`: p.grad_out holds dL/d(output) of the N samples. Add the gradient of
//   each parameter into p.grads (the same layout as the parameters: gradients accumulate across
//   calls, as in PyTorch, until zero_grad), unless p.grads is null (the layer is frozen); write
//   dL/d(input) into p.grad_in unless it is null (nothing before the layer learns). p.in and p.out
//   are the forward's input and output, kept for the backward pass.
// - optional `backward_scratch_elements<T>(shape in, std::size_t n)`: scratch for backward, p.scratch.
// - optional `train_propagate<T, In, N>(const train_pass<L, T>& p)`: the forward pass of a training
//   step, when it is not propagate's: p.training says train() or eval(); p.state is writable
//   (running statistics); p.saved holds `saved_elements<T>(shape in, std::size_t n)` scalars the
//   backward pass reads back (a dropout mask, a batch's statistics); p.random is the model's
//   random generator.
// Gradients are tested against torch.autograd (tests/training_gradients.cpp): every new layer that
// trains brings its backward and such a test.
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "layer.hpp"

namespace typenet {

// A layer's entries inside a writable block laid out like the state block: the state during a
// training forward (running statistics), the gradients during backward. Null when there is nothing
// to write (a frozen layer's gradients).
template <class L, class T>
struct layer_state {
    std::byte* base = nullptr;

    template <std::size_t K>
    T* get() const {
        static_assert(K < L::state.size() && !L::state[K].int64);
        return reinterpret_cast<T*>(base + layer_params<L, T>::template offset<K>());
    }
    // An int64 entry (num_batches_tracked).
    template <std::size_t K>
    std::int64_t* get_int64() const {
        static_assert(K < L::state.size() && L::state[K].int64);
        return reinterpret_cast<std::int64_t*>(base + layer_params<L, T>::template offset<K>());
    }
    explicit operator bool() const { return base != nullptr; }
    layer_params<L, T> params() const { return layer_params<L, T>(base); }
};

// The random numbers of a training forward (Dropout's masks): SplitMix64 (Steele, Lea and Flood,
// 2014), 64 bits of state, seeded by Trainable::manual_seed. PyTorch's generator is another (its
// masks cannot be reproduced), so parity with PyTorch is tested with dropout off.
struct random_bits {
    std::uint64_t state = 0;

    std::uint64_t next() {
        std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }
    // Uniform in [0, 1), a multiple of 2^-24 (exact in float).
    float uniform() { return float(next() >> 40) * 0x1.0p-24f; }
};

// One draw of PyTorch's dropout: 0 with probability p, else 1 / (1 - p) computed in T (as its
// noise.div_(1 - p)); with p = 1 always 0.
template <class T>
struct dropout_draw {
    double p;
    T keep_scale = p == 1 ? T(0) : T(1) / T(1 - p);

    T operator()(random_bits& random) const { return random.uniform() < p ? T(0) : keep_scale; }
};

template <class L, class T>
struct train_pass {
    layer_state<L, T> state;   // the layer's parameters and buffers, writable
    const T* in;
    T* out;
    T* saved;                  // saved_elements<T>(In, N) scalars, read back by backward
    T* scratch;                // scratch_elements<T>(In, N), as propagate's
    bool training;             // train() or eval()
    random_bits* random;
};

template <class L, class T>
struct backward_pass {
    layer_params<L, T> params;
    layer_state<L, T> grads;   // null: frozen, no parameter gradients
    const T* in;               // the forward's input and output
    const T* out;
    const T* grad_out;         // dL/d(output)
    T* grad_in;                // dL/d(input), written; null when nothing before the layer needs it
    const T* saved;            // what train_propagate saved
    T* scratch;                // backward_scratch_elements<T>(In, N)
    bool training;             // the mode of the forward pass
};

// The same backward pass for another layer whose parameters are laid out alike (Conv1d hands its
// pass to Conv2d over [C, 1, L]).
template <class Other, class L, class T>
backward_pass<Other, T> pass_for(const backward_pass<L, T>& p) {
    return {layer_params<Other, T>{p.params.base}, layer_state<Other, T>{p.grads.base}, p.in, p.out, p.grad_out,
            p.grad_in, p.saved, p.scratch, p.training};
}

template <class L>
concept TrainableLayer = Layer<L> && requires { &L::template backward<float, shape{1}, 1>; };

namespace detail {
template <class L, class T>
concept needs_backward_scratch = requires(shape s) { L::template backward_scratch_elements<T>(s, std::size_t(1)); };
template <class L, class T>
concept saves_for_backward = requires(shape s) { L::template saved_elements<T>(s, std::size_t(1)); };
template <class L>
concept trains_differently = requires { &L::template train_propagate<float, shape{1}, 1>; };
}  // namespace detail

}  // namespace typenet
