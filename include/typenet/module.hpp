// Modules: a model is a tree whose leaves are layers (layer.hpp) and whose inner nodes are
// containers (Sequential; later residual and branch combinators). Everything typenet knows about
// a model comes from walking this tree at compile time with a visitor: shapes, state_dict keys,
// errors, the summary. The forward pass walks the same tree with templates.
//
// A container provides
//   static constexpr std::string_view type_name;
//   template <class V> static constexpr shape visit(V& v, shape in);   // calls visit_module on each child
//   template <class T, shape In, std::size_t N>
//   static void forward(const std::byte* state, const T* in, T* out, T* scratch);
//   template <class T, shape In, std::size_t N> static constexpr std::size_t scratch_for();
//   static constexpr bool in_place;                                     // forward works with in == out
#pragma once

#include <algorithm>
#include <cstddef>
#include <string_view>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "layer.hpp"

namespace typenet {

namespace detail {

// How a container names a child: by position ("0", "3") or by name ("features", "conv1").
struct child_name {
    std::string_view name;
    std::size_t index = 0;
    bool positional = true;
};

// What visitors learn of a module when they enter it.
struct module_description {
    std::string_view type_name;
    bool is_layer;
    int version;  // PyTorch's Module._version, which state_dict()._metadata records (BatchNorm: 2)
    bool reads_key_padding_mask = false;  // the layer reads the call's key padding mask (detail/key_padding.hpp)
    bool frozen = false;  // Frozen<M> (combinators/frozen.hpp): its parameters never learn
};

// The visitor that only follows shapes. After a failed rule it stops checking (later layers see
// a made-up shape), so that only the first error is reported.
struct shape_visitor {
    bool ok = true;
    constexpr bool checking() const { return ok; }
    constexpr void enter(child_name, const module_description&, shape) {}
    constexpr void leave(shape) {}
    constexpr void fail(const shape_check&) { ok = false; }
    constexpr void entry(const state_spec&) {}
};

}  // namespace detail

template <class M>
concept Container = requires(detail::shape_visitor& v, shape s) {
    { M::type_name } -> std::convertible_to<std::string_view>;
    { M::in_place } -> std::convertible_to<bool>;
    { M::visit(v, s) } -> std::same_as<shape>;
};

template <class M>
concept Module = Layer<M> || Container<M>;

namespace detail {

// Layers that read the key padding mask of the forward call say `reads_key_padding_mask = true`.
template <class M>
inline constexpr bool reads_key_padding_mask = requires { requires M::reads_key_padding_mask; };

// Frozen<M> (combinators/frozen.hpp) says `frozen = true`: its parameters are fixed in the type.
template <class M>
inline constexpr bool frozen_module = requires { requires M::frozen; };

template <class M>
inline constexpr int state_dict_version = [] {
    if constexpr (requires { M::state_dict_version; }) return int(M::state_dict_version);
    else return 1;
}();

// A visitor with `stepping = true` checks one time step's shapes (stream.hpp) instead of a
// sample's: layers by their step rule, and only containers that step their children
// (`steps_children = true`, as Sequential and Block) are let through.
template <class V>
concept stepping_visitor = requires { requires V::stepping; };
template <class M>
inline constexpr bool steps_children = requires { requires M::steps_children; };

// Walks module M, named `name` inside its parent, for a per-sample input shape `in`. Visitors see
// enter / state entries / a failed shape rule / leave, in PyTorch's state_dict order.
template <Module M, class V>
constexpr shape visit_module(V& v, child_name name, shape in) {
    v.enter(name, module_description{M::type_name, Layer<M>, state_dict_version<M>, reads_key_padding_mask<M>,
                                     frozen_module<M>}, in);
    shape out = in;
    if constexpr (Layer<M>) {
        if (v.checking()) {
            shape_check check;
            if constexpr (stepping_visitor<V>) check = step_check<M>(in);
            else check = M::infer(in);
            if (check.ok()) out = check.output;
            else v.fail(check);
        }
        for (const state_spec& spec : M::state) v.entry(spec);
    } else {
        if constexpr (stepping_visitor<V> && !steps_children<M>) {
            if (v.checking())
                v.fail(fail("Stream: this container cannot run one time step at a time: it does not declare "
                            "steps_children (Sequential and Block do). Put the layers in a Sequential, or run the "
                            "whole sequence with a Model.",
                            shape{}, in));
        }
        out = M::visit(v, in);
    }
    v.leave(out);
    return out;
}

// Sums the bytes of the state entries, laid out with entry_bytes.
struct state_bytes_visitor : shape_visitor {
    std::size_t scalar_size = 0;
    std::size_t bytes = 0;
    constexpr void entry(const state_spec& spec) { bytes += entry_bytes(spec, scalar_size); }
};

template <Module M>
constexpr shape output_shape(shape in) {
    shape_visitor v;
    return visit_module<M>(v, {}, in);
}

template <Module M, class T>
inline constexpr std::size_t state_bytes = [] {
    state_bytes_visitor v;
    v.scalar_size = sizeof(T);
    visit_module<M>(v, {}, shape{1});
    return v.bytes;
}();

// Layers that need scratch memory (im2col rows, transposed inputs) say how much with
// `template <class T> static constexpr std::size_t scratch_elements(shape in, std::size_t n)` and
// receive it as a fourth argument of propagate. Containers say it with
// `template <class T, shape In, std::size_t N> static constexpr std::size_t scratch_for()`.
template <class M, class T>
concept needs_scratch = requires(shape s) { M::template scratch_elements<T>(s, std::size_t(1)); };

// A module is sample-wise when it computes every sample on its own and gains nothing from a
// larger batch (convolutions, pooling, elementwise layers; not Linear, whose weights are reused
// across the batch, nor BatchNorm on batch statistics). Layers say so with `sample_wise = true`.
template <class M>
inline constexpr bool sample_wise = [] {
    if constexpr (requires { M::sample_wise; }) return bool(M::sample_wise);
    else return false;
}();

// The sizes below are variable templates: each is computed once per module and input shape, so
// that nested containers asking for their children's sizes cost time linear in the model's size.
template <Module M, shape In>
inline constexpr shape output_shape_of = output_shape<M>(In);

template <Module M, class T, shape In, std::size_t N>
inline constexpr std::size_t unsplit_scratch = [] {
    if constexpr (Container<M>) return M::template scratch_for<T, In, N>();
    else if constexpr (needs_scratch<M, T>) return std::size_t(M::template scratch_elements<T>(In, N));
    else return std::size_t(0);
}();

// Most threads a batch is split across (OpenMP); each needs its own scratch.
#ifdef TYPENET_MAX_THREADS
inline constexpr std::size_t max_threads = TYPENET_MAX_THREADS;
#else
inline constexpr std::size_t max_threads = 8;
#endif

// A batch of a sample-wise container runs in groups of samples whose data stays in cache
// (about 1 MiB, half of a 2 MiB L2), spread over threads. Groups of `group` samples, `slots` of
// scratch (one per thread).
struct batch_split {
    std::size_t group = 1, groups = 1, slots = 1;
};

template <Module M, class T, shape In, std::size_t N>
inline constexpr batch_split split_of = [] {
    if constexpr (!Container<M> || !sample_wise<M>) {
        return batch_split{N, 1, 1};
    } else {
        const std::size_t per_sample =
            (unsplit_scratch<M, T, In, 1> + In.numel() + output_shape_of<M, In>.numel()) * sizeof(T);
        const std::size_t group = per_sample >= (std::size_t(1) << 20) ? 1 : (std::size_t(1) << 20) / per_sample;
        if (group >= N) return batch_split{N, 1, 1};
        const std::size_t groups = (N + group - 1) / group;
        return batch_split{group, groups, groups < max_threads ? groups : max_threads};
    }
}();

// Scratch of module M for N samples of shape In, split batches included.
template <Module M, class T, shape In, std::size_t N>
inline constexpr std::size_t scratch_of = [] {
    constexpr batch_split split = split_of<M, T, In, N>;
    if constexpr (split.groups == 1) return unsplit_scratch<M, T, In, N>;
    else return split.slots * aligned_elements(unsplit_scratch<M, T, In, split.group>, sizeof(T));
}();

template <Module M>
inline constexpr bool in_place = [] {
    if constexpr (Container<M>) return M::in_place;
    else return in_place_layer<M>;
}();

template <Module M, class T, shape In, std::size_t N>
[[gnu::always_inline]] inline void forward_unsplit(const std::byte* state, const T* in, T* out, T* scratch) {
    if constexpr (Container<M>) M::template forward<T, In, N>(state, in, out, scratch);
    else if constexpr (needs_scratch<M, T>) M::template propagate<T, In, N>(layer_params<M, T>{state}, in, out, scratch);
    else M::template propagate<T, In, N>(layer_params<M, T>{state}, in, out);
}

// The OpenMP runtime initialises itself at its first call, and may allocate then (LLVM's loads its
// tool interface). Models call this when constructed, so that no forward pass allocates, the first
// one included.
inline void start_thread_runtime() {
#ifdef _OPENMP
    (void)omp_in_parallel();
#endif
}

// Runs module M on N samples: `in` holds N x In.numel() values, `out` N x output_shape(In).numel().
template <Module M, class T, shape In, std::size_t N>
inline void forward_module(const std::byte* state, const T* in, T* out, T* scratch) {
    constexpr batch_split split = split_of<M, T, In, N>;
    if constexpr (split.groups == 1) {
        forward_unsplit<M, T, In, N>(state, in, out, scratch);
    } else {
        constexpr std::size_t G = split.group, full = N / G, in_size = In.numel();
        constexpr std::size_t out_size = output_shape_of<M, In>.numel();
        constexpr std::size_t slot_size = aligned_elements(unsplit_scratch<M, T, In, G>, sizeof(T));
        const long long groups = (long long)split.groups;
#ifdef _OPENMP
        const int threads = omp_in_parallel() ? 1 : std::min<int>(int(split.slots), omp_get_max_threads());
#pragma omp parallel for schedule(static) num_threads(threads) if (threads > 1)
#endif
        for (long long g = 0; g < groups; ++g) {
#ifdef _OPENMP
            T* slot = scratch + std::size_t(omp_get_thread_num()) * slot_size;
#else
            T* slot = scratch;
            (void)slot_size;
#endif
            const std::size_t first = std::size_t(g) * G;
            if (std::size_t(g) < full)
                forward_unsplit<M, T, In, G>(state, in + first * in_size, out + first * out_size, slot);
            else if constexpr (N % G != 0)
                forward_unsplit<M, T, In, N % G>(state, in + first * in_size, out + first * out_size, slot);
        }
    }
}

// One time step (stream.hpp). A step's shapes follow the step rules (layer.hpp); a module's
// memory across steps is step_state_of scalars of T, its scratch step_scratch_of. Containers that
// step declare steps_children = true with step_state_size<T, In>(), step_scratch<T, In>() and
// step<T, In>(params, state, in, out, scratch).
struct step_shape_visitor : shape_visitor {
    static constexpr bool stepping = true;
};

template <Module M>
constexpr shape step_output_shape(shape in) {
    step_shape_visitor v;
    return visit_module<M>(v, {}, in);
}

template <Module M, class T, shape In>
inline constexpr std::size_t step_state_of = [] {
    if constexpr (Container<M>) return std::size_t(M::template step_state_size<T, In>());
    else if constexpr (steps_with_memory<M>) return std::size_t(M::template step_state_size<T, In>());
    else return std::size_t(0);
}();

template <Module M, class T, shape In>
inline constexpr std::size_t step_scratch_of = [] {
    if constexpr (Container<M>) return std::size_t(M::template step_scratch<T, In>());
    else if constexpr (steps_with_memory<M>) return std::size_t(0);  // a step works in its own state
    else return unsplit_scratch<M, T, In, 1>;
}();

// One step of module M: `in` holds one step of shape In, `out` receives step_output_shape<M>(In).
template <Module M, class T, shape In>
[[gnu::always_inline]] inline void step_module(const std::byte* params, T* state, const T* in, T* out, T* scratch) {
    if constexpr (Container<M>) M::template step<T, In>(params, state, in, out, scratch);
    else if constexpr (steps_with_memory<M>) M::template step<T, In>(layer_params<M, T>{params}, state, in, out);
    else forward_unsplit<M, T, In, 1>(params, in, out, scratch);
}

}  // namespace detail
}  // namespace typenet
