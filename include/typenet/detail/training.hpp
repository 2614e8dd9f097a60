// The training engine behind Trainable (trainable.hpp): a forward pass that keeps every module's
// output (the tape) and a backward pass that walks the tree in reverse, all sizes compile-time
// constants, nothing allocated.
//
// A module's tape holds, for N samples of shape In: a layer's output then what it saved for its
// backward (backward.hpp); a container's children's tapes, one after the other. Containers train
// by declaring
//   template <class T, shape In, std::size_t N> static constexpr std::size_t tape_for();
//   template <class T, shape In, std::size_t N> static constexpr std::size_t output_in_tape();
//   template <class T, shape In, std::size_t N> static constexpr std::size_t train_scratch_for();
//   template <class T, shape In, std::size_t N>
//   static void train_forward(const train_context&, std::byte* state, const T* in, T* tape, T* scratch);
//   template <class T, shape In, std::size_t N>
//   static void backward(const train_context&, const std::byte* state, std::byte* grads, const T* in,
//                        const T* tape, const T* grad_out, T* grad_in, T* scratch);
// (train_chain below does it for Sequential.) `grads` mirrors `state` (null: nothing inside learns);
// grad_in is null when nothing before the module needs dL/d(input).
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>

#include <boost/hana/for_each.hpp>
#include <boost/hana/range.hpp>

#include "../backward.hpp"
#include "../module.hpp"

namespace typenet::detail {

// Which parameters learn, at run time: requires_grad per state entry (state_block.hpp).
struct learning_entries {
    const std::byte* base = nullptr;   // the state block
    const std::size_t* offsets = nullptr;
    const std::size_t* ends = nullptr;
    const bool* learns = nullptr;
    std::size_t count = 0;

    // Does an entry in [begin, end) of the state block learn?
    bool any(const std::byte* begin, const std::byte* end) const {
        const std::size_t first = std::size_t(begin - base), last = std::size_t(end - base);
        for (std::size_t i = 0; i < count; ++i)
            if (learns[i] && offsets[i] < last && ends[i] > first) return true;
        return false;
    }
};

struct train_context {
    bool training = true;
    random_bits* random = nullptr;
    learning_entries learning;
};

// A Frozen<L> layer runs L's kernels (combinators/frozen.hpp).
template <class M>
struct unfrozen {
    using type = M;
};
template <class M>
    requires requires { typename M::frozen_module; }
struct unfrozen<M> {
    using type = typename M::frozen_module;
};

// The first layer without a backward pass fails to compile here, naming the layer's type.
template <class L>
struct layer_has_no_backward_pass {
    static_assert(TrainableLayer<L>,
                  "typenet::Trainable: this layer (its type is in the line above) has no backward pass yet, so a "
                  "network holding it cannot be trained. Freezing it does not help: gradients flow through it "
                  "to the layers before. Layers that train are listed in docs/training.md; a layer of your own "
                  "adds backward<T, In, N> (backward.hpp).");
    static constexpr bool ok = TrainableLayer<L>;
};

template <Module M, class T, shape In, std::size_t N>
inline constexpr std::size_t saved_of = [] {
    using L = typename unfrozen<M>::type;
    if constexpr (saves_for_backward<L, T>) return aligned_elements(L::template saved_elements<T>(In, N), sizeof(T));
    else return std::size_t(0);
}();

template <Module M, class T, shape In, std::size_t N>
inline constexpr std::size_t output_elements = aligned_elements(N * output_shape_of<M, In>.numel(), sizeof(T));

template <Module M, class T, shape In, std::size_t N>
inline constexpr std::size_t tape_of = [] {
    if constexpr (Container<M>) return std::size_t(M::template tape_for<T, In, N>());
    else return output_elements<M, T, In, N> + saved_of<M, T, In, N>;
}();

// Where the module's output is in its tape.
template <Module M, class T, shape In, std::size_t N>
inline constexpr std::size_t output_at = [] {
    if constexpr (Container<M>) return std::size_t(M::template output_in_tape<T, In, N>());
    else return std::size_t(0);
}();

template <Module M, class T, shape In, std::size_t N>
inline constexpr std::size_t train_scratch_of = [] {
    using L = typename unfrozen<M>::type;
    if constexpr (Container<M>) {
        return std::size_t(M::template train_scratch_for<T, In, N>());
    } else {
        std::size_t backward = 0;
        if constexpr (needs_backward_scratch<L, T>) backward = L::template backward_scratch_elements<T>(In, N);
        return std::max(unsplit_scratch<M, T, In, N>, backward);
    }
}();

template <Module M, class T, shape In, std::size_t N>
inline void train_forward_module(const train_context& c, std::byte* state, const T* in, T* tape, T* scratch) {
    if constexpr (Container<M>) {
        M::template train_forward<T, In, N>(c, state, in, tape, scratch);
    } else {
        using L = typename unfrozen<M>::type;
        static_assert(layer_has_no_backward_pass<L>::ok);
        if constexpr (trains_differently<L>)
            L::template train_propagate<T, In, N>(train_pass<L, T>{layer_state<L, T>{state}, in, tape,
                                                                   tape + output_elements<M, T, In, N>, scratch,
                                                                   c.training, c.random});
        else
            forward_unsplit<L, T, In, N>(state, in, tape, scratch);
    }
}

template <Module M, class T, shape In, std::size_t N>
inline void backward_module(const train_context& c, const std::byte* state, std::byte* grads, const T* in,
                            const T* tape, const T* grad_out, T* grad_in, T* scratch) {
    if constexpr (frozen_module<M>) grads = nullptr;
    if (grads && !c.learning.any(state, state + state_bytes<M, T>)) grads = nullptr;
    if (!grads && !grad_in) return;  // nothing inside learns, nothing before needs a gradient
    if constexpr (Container<M>) {
        M::template backward<T, In, N>(c, state, grads, in, tape, grad_out, grad_in, scratch);
    } else {
        using L = typename unfrozen<M>::type;
        L::template backward<T, In, N>(backward_pass<L, T>{layer_params<L, T>(state), layer_state<L, T>{grads}, in,
                                                           tape, grad_out, grad_in,
                                                           tape + output_elements<M, T, In, N>, scratch, c.training});
    }
}

// The shapes between the children of container C (size, child_at<k>) for input In: what enters
// child k is [k], the output [size]; a sample's (Stepping false) or one time step's (stream.hpp).
template <class C, shape In, bool Stepping>
inline constexpr std::array<shape, C::size + 1> chain_shapes = [] {
    std::array<shape, C::size + 1> s{};
    s[0] = In;
    boost::hana::for_each(boost::hana::make_range(boost::hana::size_c<0>, boost::hana::size_c<C::size>), [&](auto i) {
        constexpr std::size_t k = decltype(i)::value;
        if constexpr (Stepping) s[k + 1] = step_output_shape<typename C::template child_at<k>>(s[k]);
        else s[k + 1] = output_shape<typename C::template child_at<k>>(s[k]);
    });
    return s;
}();

// Children of container C run one after the other (Sequential): C gives size, child_at<k> and
// state_offsets<T>().
template <class C>
struct train_chain {
    static constexpr std::size_t size = C::size;
    static constexpr auto indices = boost::hana::make_range(boost::hana::size_c<0>, boost::hana::size_c<size>);

    template <shape In>
    static constexpr std::array<shape, size + 1> shapes = chain_shapes<C, In, false>;
    // Each child's tape within the chain's (an empty chain keeps a copy of its input).
    template <class T, shape In, std::size_t N>
    static constexpr std::array<std::size_t, size + 1> tape_offsets = [] {
        std::array<std::size_t, size + 1> offsets{};
        boost::hana::for_each(indices, [&](auto i) {
            constexpr std::size_t k = decltype(i)::value;
            offsets[k + 1] = offsets[k] + tape_of<typename C::template child_at<k>, T, shapes<In>[k], N>;
        });
        if (size == 0) offsets[0] = aligned_elements(N * In.numel(), sizeof(T));
        return offsets;
    }();
    template <class T, shape In, std::size_t N>
    static constexpr std::size_t tape() {
        return size == 0 ? tape_offsets<T, In, N>[0] : tape_offsets<T, In, N>[size];
    }
    template <class T, shape In, std::size_t N>
    static constexpr std::size_t output_in_tape() {
        if constexpr (size == 0) return 0;
        else return tape_offsets<T, In, N>[size - 1] +
                    output_at<typename C::template child_at<size - 1>, T, shapes<In>[size - 1], N>;
    }
    // Two buffers of gradients between children, then the children's own scratch.
    template <class T, shape In, std::size_t N>
    static constexpr std::size_t gradient_buffer = [] {
        std::size_t n = 0;
        for (std::size_t k = 1; k < size; ++k) n = std::max(n, N * shapes<In>[k].numel());
        return aligned_elements(n, sizeof(T));
    }();
    template <class T, shape In, std::size_t N>
    static constexpr std::size_t scratch() {
        std::size_t children = 0;
        boost::hana::for_each(indices, [&](auto i) {
            constexpr std::size_t k = decltype(i)::value;
            children = std::max(children, train_scratch_of<typename C::template child_at<k>, T, shapes<In>[k], N>);
        });
        return 2 * gradient_buffer<T, In, N> + children;
    }

    template <class T, shape In, std::size_t N>
    static void forward(const train_context& c, std::byte* state, const T* in, T* tape, T* scratch) {
        constexpr const auto& s = shapes<In>;
        constexpr const auto& at = tape_offsets<T, In, N>;
        if constexpr (size == 0) {
            for (std::size_t k = 0; k < N * In.numel(); ++k) tape[k] = in[k];
        }
        boost::hana::for_each(indices, [&](auto i) {
            constexpr std::size_t k = decltype(i)::value;
            const T* source = in;
            if constexpr (k > 0) source = tape + at[k - 1] + output_at<typename C::template child_at<k - 1>, T, s[k - 1], N>;
            train_forward_module<typename C::template child_at<k>, T, s[k], N>(
                c, state + C::template state_offsets<T>()[k], source, tape + at[k], scratch + 2 * gradient_buffer<T, In, N>);
        });
    }

    // Children in reverse. The gradient at child k's output is in buffer k % 2 (child k + 1 wrote it),
    // or grad_out for the last child.
    template <class T, shape In, std::size_t N>
    static void backward(const train_context& c, const std::byte* state, std::byte* grads, const T* in, const T* tape,
                         const T* grad_out, T* grad_in, T* scratch) {
        constexpr const auto& s = shapes<In>;
        constexpr const auto& at = tape_offsets<T, In, N>;
        constexpr auto offsets = C::template state_offsets<T>();
        T* const buffers[2] = {scratch, scratch + gradient_buffer<T, In, N>};
        T* const child_scratch = scratch + 2 * gradient_buffer<T, In, N>;
        if constexpr (size == 0) {
            if (grad_in)
                for (std::size_t k = 0; k < N * In.numel(); ++k) grad_in[k] = grad_out[k];
        }
        boost::hana::for_each(indices, [&](auto i) {
            constexpr std::size_t k = size - 1 - decltype(i)::value;
            using child = typename C::template child_at<k>;
            const T* child_in = in;
            if constexpr (k > 0) child_in = tape + at[k - 1] + output_at<typename C::template child_at<k - 1>, T, s[k - 1], N>;
            const T* child_grad_out = k + 1 == size ? grad_out : buffers[k % 2];
            // The input's gradient is needed when something before the child learns.
            T* child_grad_in = grad_in;
            if constexpr (k > 0)
                child_grad_in = grad_in || (grads && c.learning.any(state, state + offsets[k])) ? buffers[(k + 1) % 2]
                                                                                               : nullptr;
            backward_module<child, T, s[k], N>(c, state + offsets[k], grads ? grads + offsets[k] : nullptr, child_in,
                                               tape + at[k], child_grad_out, child_grad_in, child_scratch);
        });
    }
};

// What a container whose children run one after the other (Sequential, a Block's Then) declares
// for training, through train_chain; it adds its own backward.
template <class Self>
struct chain_training {
    template <class T, shape In, std::size_t N>
    static constexpr std::size_t tape_for() {
        return train_chain<Self>::template tape<T, In, N>();
    }
    template <class T, shape In, std::size_t N>
    static constexpr std::size_t output_in_tape() {
        return train_chain<Self>::template output_in_tape<T, In, N>();
    }
    template <class T, shape In, std::size_t N>
    static constexpr std::size_t train_scratch_for() {
        return train_chain<Self>::template scratch<T, In, N>();
    }
    template <class T, shape In, std::size_t N>
    static void train_forward(const train_context& c, std::byte* state, const T* in, T* tape, T* scratch) {
        train_chain<Self>::template forward<T, In, N>(c, state, in, tape, scratch);
    }
};

// Which state entries are inside a Frozen<M>: they never learn.
template <std::size_t Entries>
struct frozen_entries_visitor : shape_visitor {
    std::array<bool, Entries> frozen{};
    std::array<bool, 256> stack{};
    std::size_t depth = 0, frozen_depth = 0, entry_index = 0;
    constexpr void enter(child_name, const module_description& d, shape) {
        stack[depth++] = d.frozen;
        frozen_depth += d.frozen;
    }
    constexpr void leave(shape) { frozen_depth -= stack[--depth]; }
    constexpr void entry(const state_spec&) { frozen[entry_index++] = frozen_depth > 0; }
};

template <Module Net, std::size_t Entries>
inline constexpr std::array<bool, Entries> frozen_entries = [] {
    frozen_entries_visitor<Entries> v;
    visit_module<Net>(v, {}, shape{1});
    return v.frozen;
}();

}  // namespace typenet::detail
