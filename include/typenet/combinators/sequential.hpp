// Sequential: children run one after the other, named by position like nn.Sequential(...), or
// by name like nn.Sequential(OrderedDict([...])) or a module's attributes (self.features).
//
//     using Net = typenet::Sequential<
//         typenet::Named<"features", typenet::Sequential<typenet::Conv2d<1, 8, 3>, typenet::ReLU>>,
//         typenet::Named<"classifier", typenet::Sequential<typenet::Flatten, typenet::Linear<8 * 26 * 26, 10>>>>;
//     // state_dict keys: features.0.weight, features.0.bias, classifier.1.weight, classifier.1.bias
//
// A PyTorch module whose forward calls its children in order (the seed's SimpleMNISTModel:
// features, then classifier) has exactly the state_dict of a Sequential of Named children.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <string_view>
#include <type_traits>
#include <utility>

#include <boost/hana/for_each.hpp>
#include <boost/hana/range.hpp>

#include "../detail/chain.hpp"
#include "../detail/fixed_string.hpp"
#include "../detail/training.hpp"
#include "../detail/type_at.hpp"
#include "../module.hpp"

namespace typenet {

// A child with a name instead of its position.
template <detail::fixed_string Name, class M>
struct Named {
    static constexpr std::string_view name = Name.view();
    using module = M;
};

namespace detail {

// Stands in for a child that is not a Module, so that the one static_assert saying so is the
// only error (instead of pages of follow-up errors).
struct not_a_module {
    static constexpr std::string_view type_name = "(not a module)";
    static constexpr std::array<state_spec, 0> state{};
    static constexpr shape_check infer(shape in) { return {in}; }
};

template <class Entry>
struct entry_traits {
    using declared = Entry;
    static constexpr bool named = false;
    static constexpr std::string_view name{};
};
template <fixed_string Name, class M>
struct entry_traits<Named<Name, M>> {
    using declared = M;
    static constexpr bool named = true;
    static constexpr std::string_view name = Name.view();
};

// The module of a child entry (M or Named<"name", M>).
template <class Entry>
using module_of = std::conditional_t<Module<typename entry_traits<Entry>::declared>,
                                     typename entry_traits<Entry>::declared, not_a_module>;

// The first child that is not a Module fails to compile here, naming its position and type.
template <std::size_t Position, class Child>
struct child_is_a_module {
    static_assert(Module<Child>,
                  "typenet: this child (position and type above) is not a Module. A layer needs type_name, "
                  "state, infer(shape) -> shape_check and propagate<T, In, N> (see layer.hpp); a combinator is "
                  "a Sequential or a Block.");
};
template <class... Entries>
constexpr bool children_are_modules() {
    constexpr std::array<bool, sizeof...(Entries) + 1> is_module{Module<typename entry_traits<Entries>::declared>..., false};
    constexpr std::size_t first = [&] {
        std::size_t i = 0;
        while (i < sizeof...(Entries) && is_module[i]) ++i;
        return i;
    }();
    if constexpr (first < sizeof...(Entries))
        return sizeof(child_is_a_module<first, typename entry_traits<type_at<first, Entries...>>::declared>) > 0;
    else
        return true;
}

// The number a name spells in decimal without leading zeros ("12"), or -1.
constexpr long long decimal_value(std::string_view s) {
    if (s.empty() || s.size() > 18 || (s.size() > 1 && s[0] == '0')) return -1;
    long long value = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return -1;
        value = value * 10 + (c - '0');
    }
    return value;
}

// PyTorch refuses empty names and names with a dot; two children cannot share a name, and a
// name may not collide with another child's position. Linear in the number of unnamed children,
// so that deep positional chains stay cheap to check.
template <std::size_t Count>
constexpr bool names_valid(const std::array<std::string_view, Count>& names, const std::array<bool, Count>& named) {
    for (std::size_t i = 0; i < Count; ++i) {
        if (!named[i]) continue;
        if (names[i].empty() || names[i].find('.') != std::string_view::npos) return false;
        const long long position = decimal_value(names[i]);
        if (position >= 0 && std::size_t(position) < Count && std::size_t(position) != i && !named[position])
            return false;
        for (std::size_t j = i + 1; j < Count; ++j)
            if (named[j] && names[i] == names[j]) return false;
    }
    return true;
}

// Byte offsets of consecutive state blocks: the layout of a container's children.
template <class T, class... Modules>
constexpr std::array<std::size_t, sizeof...(Modules)> consecutive_offsets() {
    constexpr std::array<std::size_t, sizeof...(Modules)> bytes{state_bytes<Modules, T>...};
    std::array<std::size_t, sizeof...(Modules)> offsets{};
    std::size_t offset = 0;
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        offsets[i] = offset;
        offset += bytes[i];
    }
    return offsets;
}

// One time step through the children of container C in order (Sequential, a Block's Then), each on
// its own step (no fusion: at one step there is no batch to share), between two buffers; the
// memory across steps is the children's, one after the other. C gives size, child_at<k> and
// state_offsets<T>() (the children's parameters).
template <class C>
struct step_chain {
    static constexpr std::size_t size = C::size;
    static constexpr auto indices = boost::hana::make_range(boost::hana::size_c<0>, boost::hana::size_c<size>);

    template <shape In>
    static constexpr std::array<shape, size + 1> shapes = chain_shapes<C, In, true>;
    template <class T, shape In>
    static constexpr std::array<std::size_t, size + 1> state_offsets = [] {
        std::array<std::size_t, size + 1> offsets{};
        boost::hana::for_each(indices, [&](auto i) {
            constexpr std::size_t k = decltype(i)::value;
            offsets[k + 1] = offsets[k] + step_state_of<typename C::template child_at<k>, T, shapes<In>[k]>;
        });
        return offsets;
    }();
    // Elements of each of the two buffers between children.
    template <class T, shape In>
    static constexpr std::size_t buffer = [] {
        std::size_t n = 0;
        for (std::size_t k = 1; k < size; ++k) n = std::max(n, shapes<In>[k].numel());
        return aligned_elements(n, sizeof(T));
    }();

    template <class T, shape In>
    static constexpr std::size_t scratch() {
        std::size_t children = 0;
        boost::hana::for_each(indices, [&](auto i) {
            constexpr std::size_t k = decltype(i)::value;
            children = std::max(children, step_scratch_of<typename C::template child_at<k>, T, shapes<In>[k]>);
        });
        return 2 * buffer<T, In> + children;
    }

    template <class T, shape In>
    [[gnu::always_inline]] static void step(const std::byte* params, T* state, const T* in, T* out, T* scratch) {
        constexpr const auto& s = shapes<In>;
        constexpr const auto& state_at = state_offsets<T, In>;
        T* const buffers[2] = {scratch, scratch + buffer<T, In>};
        T* const child_scratch = scratch + 2 * buffer<T, In>;
        if constexpr (size == 0) {
            for (std::size_t k = 0; k < In.numel(); ++k) out[k] = in[k];
        }
        boost::hana::for_each(indices, [&](auto i) {
            constexpr std::size_t k = decltype(i)::value;
            constexpr std::size_t param_offset = C::template state_offsets<T>()[k];
            const T* source = k == 0 ? in : buffers[(k + 1) % 2];
            T* target = k + 1 == size ? out : buffers[k % 2];
            step_module<typename C::template child_at<k>, T, s[k]>(params + param_offset, state + state_at[k], source,
                                                                   target, child_scratch);
        });
    }
};

}  // namespace detail

template <class... Entries>
struct Sequential : detail::chain_members<detail::module_of<Entries>...>, detail::chain_training<Sequential<Entries...>> {
    static_assert(detail::children_are_modules<Entries...>());
    static constexpr std::string_view type_name = "Sequential";
    static constexpr std::size_t size = sizeof...(Entries);
    template <std::size_t I>
    using child_at = detail::type_at<I, detail::module_of<Entries>...>;
    static constexpr auto indices = boost::hana::make_range(boost::hana::size_c<0>, boost::hana::size_c<size>);
    static constexpr std::array<bool, size> named{detail::entry_traits<Entries>::named...};
    static constexpr std::array<std::string_view, size> names{detail::entry_traits<Entries>::name...};
    static_assert(detail::names_valid(names, named),
                  "typenet::Sequential: child names must be non-empty, contain no '.', differ from each other "
                  "and from the positions of unnamed children");

    template <class T>
    static constexpr std::array<std::size_t, size> state_offsets() {
        return detail::consecutive_offsets<T, detail::module_of<Entries>...>();
    }

    // The chain engine (detail/chain.hpp) runs the children, fused where they allow it.
    using chain = detail::chain<Sequential>;
    static constexpr bool in_place = chain::in_place;
    static constexpr bool sample_wise = chain::sample_wise;
    static constexpr auto step_lengths = chain::step_lengths;
    template <class T>
    static constexpr auto plan(shape in) { return chain::template plan<T>(in); }

    template <class V>
    static constexpr shape visit(V& v, shape in) {
        shape s = in;
        boost::hana::for_each(indices, [&](auto i) {
            constexpr std::size_t k = decltype(i)::value;
            s = detail::visit_module<child_at<k>>(v, detail::child_name{names[k], k, !named[k]}, s);
        });
        return s;
    }

    template <class T, shape In, std::size_t N>
    static constexpr std::size_t scratch_for() {
        return chain::template scratch_for<T, In, N>();
    }

    template <class T, shape In, std::size_t N>
    static void forward(const std::byte* state, const T* in, T* out, T* scratch) {
        chain::template forward<T, In, N>(state, in, out, scratch);
    }

    // Training (trainable.hpp): the children one after the other (detail::chain_training, a base),
    // each output kept for backward.
    template <class T, shape In, std::size_t N>
    static void backward(const detail::train_context& c, const std::byte* state, std::byte* grads, const T* in,
                         const T* tape, const T* grad_out, T* grad_in, T* scratch) {
        detail::train_chain<Sequential>::template backward<T, In, N>(c, state, grads, in, tape, grad_out, grad_in,
                                                                     scratch);
    }

    // Streaming (stream.hpp): one time step runs through the children in order (detail::step_chain above).
    static constexpr bool steps_children = true;
    template <class T, shape In>
    static constexpr std::size_t step_state_size() {
        return detail::step_chain<Sequential>::template state_offsets<T, In>[size];
    }
    template <class T, shape In>
    static constexpr std::size_t step_scratch() {
        return detail::step_chain<Sequential>::template scratch<T, In>();
    }
    template <class T, shape In>
    [[gnu::always_inline]] static void step(const std::byte* params, T* state, const T* in, T* out, T* scratch) {
        detail::step_chain<Sequential>::template step<T, In>(params, state, in, out, scratch);
    }
};

}  // namespace typenet
