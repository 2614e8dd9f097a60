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
//   template <class T> static constexpr std::size_t scratch_elements(shape in, std::size_t n);
//   static constexpr bool in_place;                                     // forward works with in == out
#pragma once

#include <cstddef>
#include <string_view>

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

template <class M>
inline constexpr int state_dict_version = [] {
    if constexpr (requires { M::state_dict_version; }) return int(M::state_dict_version);
    else return 1;
}();

// Walks module M, named `name` inside its parent, for a per-sample input shape `in`. Visitors see
// enter / state entries / a failed shape rule / leave, in PyTorch's state_dict order.
template <Module M, class V>
constexpr shape visit_module(V& v, child_name name, shape in) {
    v.enter(name, module_description{M::type_name, Layer<M>, state_dict_version<M>}, in);
    shape out = in;
    if constexpr (Layer<M>) {
        if (v.checking()) {
            const shape_check check = M::infer(in);
            if (check.ok()) out = check.output;
            else v.fail(check);
        }
        for (const state_spec& spec : M::state) v.entry(spec);
    } else {
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
// receive it as a fourth argument of propagate.
template <class M, class T>
concept needs_scratch = requires(shape s) { M::template scratch_elements<T>(s, std::size_t(1)); };

template <Module M, class T>
constexpr std::size_t scratch_elements(shape in, std::size_t n) {
    if constexpr (needs_scratch<M, T>) return M::template scratch_elements<T>(in, n);
    else return 0;
}

template <Module M>
inline constexpr bool in_place = [] {
    if constexpr (Container<M>) return M::in_place;
    else return in_place_layer<M>;
}();

// Runs module M on N samples: `in` holds N x In.numel() values, `out` N x output_shape(In).numel().
template <Module M, class T, shape In, std::size_t N>
inline void forward_module(const std::byte* state, const T* in, T* out, T* scratch) {
    if constexpr (Container<M>) M::template forward<T, In, N>(state, in, out, scratch);
    else if constexpr (needs_scratch<M, T>) M::template propagate<T, In, N>(layer_params<M, T>{state}, in, out, scratch);
    else M::template propagate<T, In, N>(layer_params<M, T>{state}, in, out);
}

}  // namespace detail
}  // namespace typenet
