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

#include <array>
#include <cstddef>
#include <string_view>
#include <type_traits>
#include <utility>

#include <boost/hana/for_each.hpp>
#include <boost/hana/range.hpp>

#include "detail/fixed_string.hpp"
#include "detail/fusion.hpp"
#include "detail/type_at.hpp"
#include "module.hpp"

namespace typenet {

// A child with a name instead of its position.
template <detail::fixed_string Name, Module M>
struct Named {
    static constexpr std::string_view name = Name.view();
    using module = M;
};

namespace detail {

template <class Entry>
struct entry_traits {
    using module = Entry;
    static constexpr bool named = false;
    static constexpr std::string_view name{};
};
template <fixed_string Name, class M>
struct entry_traits<Named<Name, M>> {
    using module = M;
    static constexpr bool named = true;
    static constexpr std::string_view name = Name.view();
};

template <std::size_t Count>
constexpr bool all_of(const std::array<bool, Count>& flags) {
    for (bool f : flags)
        if (!f) return false;
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

// Where each step of a chain reads and writes (a step is one child, or a few fused ones, see
// fusion.hpp). Buffers: the chain's input and output, and two scratch buffers A and B that
// alternate. In-place steps (ReLU, Dropout...) reuse the buffer they read, so a chain needs at
// most two intermediate buffers.
enum buffer_id : unsigned char { chain_input, chain_output, buffer_a, buffer_b };

template <std::size_t Count>
struct chain_plan {
    std::array<shape, Count + 1> shapes{};              // per child: shapes[i] enters child i
    std::array<std::size_t, Count> state_offset{};      // per child
    std::array<std::size_t, Count + 1> step_begin{};    // per step: its first child
    std::size_t steps = 0;
    std::array<buffer_id, Count> source{}, target{};    // per step
    std::size_t a_elements = 0, b_elements = 0;         // per sample
};

}  // namespace detail

template <class... Entries>
struct Sequential {
    static constexpr std::string_view type_name = "Sequential";
    static constexpr std::size_t size = sizeof...(Entries);
    template <std::size_t I>
    using child_at = detail::type_at<I, typename detail::entry_traits<Entries>::module...>;
    static constexpr std::array<bool, size> named{detail::entry_traits<Entries>::named...};
    static constexpr std::array<std::string_view, size> names{detail::entry_traits<Entries>::name...};
    static_assert(detail::names_valid(names, named),
                  "typenet::Sequential: child names must be non-empty, contain no '.', differ from each other "
                  "and from the positions of unnamed children");
    // Arrays and loops rather than fold expressions: Clang limits folds to 256 operands.
    static constexpr std::array<bool, size> child_in_place{detail::in_place<typename detail::entry_traits<Entries>::module>...};
    static constexpr std::array<bool, size> child_sample_wise{
        detail::sample_wise<typename detail::entry_traits<Entries>::module>...};
    static constexpr bool in_place = detail::all_of(child_in_place);
    static constexpr bool sample_wise = detail::all_of(child_sample_wise);

    template <class V>
    static constexpr shape visit(V& v, shape in) {
        shape s = in;
        boost::hana::for_each(indices, [&](auto i) {
            using Child = child_at<decltype(i)::value>;
            constexpr std::size_t k = decltype(i)::value;
            s = detail::visit_module<Child>(v, detail::child_name{names[k], k, !named[k]}, s);
        });
        return s;
    }

    // Fusion (detail/fusion.hpp): what each child is, how many children the step starting at each
    // one covers, and the fused step's type (void for a child on its own).
    static constexpr std::array<detail::fusion_kind, size> kinds{
        detail::kind_of<typename detail::entry_traits<Entries>::module>()...};
    static constexpr std::array<std::size_t, size> step_lengths = [] {
        std::array<std::size_t, size> lengths{};
        for (std::size_t i = 0; i < size; ++i) lengths[i] = detail::fused_length(kinds, i);
        return lengths;
    }();
    // Whether a step starts at each child (the others run inside a fused step). Only step starts
    // instantiate fusion_at: a deep chain stays linear in compile time.
    static constexpr std::array<bool, size> starts_step = [] {
        std::array<bool, size> starts{};
        for (std::size_t i = 0; i < size; i += step_lengths[i]) starts[i] = true;
        return starts;
    }();
    template <std::size_t I>
    using fusion_at = typename decltype(
        detail::fusion_type<I, step_lengths[I], Sequential>())::type;

    static constexpr bool skipped(std::size_t first) {
        return step_lengths[first] == 1 && kinds[first] == detail::fusion_kind::no_op && first + 1 < size;
    }

    template <class T>
    static constexpr auto plan(shape in) {
        using namespace detail;
        chain_plan<size> p;
        p.shapes[0] = in;
        std::size_t offset = 0;
        boost::hana::for_each(indices, [&](auto i) {
            using Child = child_at<decltype(i)::value>;
            constexpr std::size_t k = decltype(i)::value;
            p.shapes[k + 1] = output_shape<Child>(p.shapes[k]);
            p.state_offset[k] = offset;
            offset += state_bytes<Child, T>;
        });
        for (std::size_t i = 0; i < size; ++i)
            if (starts_step[i]) p.step_begin[p.steps++] = i;
        p.step_begin[p.steps] = size;
        if (p.steps == 0) return p;
        // Backwards: a step's target decides its source; in-place steps read where they write.
        p.target[p.steps - 1] = chain_output;
        for (std::size_t s = p.steps; s-- > 0;) {
            const std::size_t first = p.step_begin[s];
            const bool in_place_step = step_lengths[first] == 1 && child_in_place[first];
            const buffer_id source =
                in_place_step ? p.target[s] : (p.target[s] == buffer_a ? buffer_b : buffer_a);
            if (s == 0) {
                p.source[0] = chain_input;
            } else {
                p.source[s] = source;
                p.target[s - 1] = source;
            }
        }
        // A step that leaves the values as they are (Identity, Dropout, Flatten) and is not the last
        // is skipped: the next step reads what it would have read, the chain's input included.
        for (std::size_t s = 0; s + 1 < p.steps; ++s)
            if (skipped(p.step_begin[s])) p.source[s + 1] = p.source[s];
        for (std::size_t s = 0; s + 1 < p.steps; ++s) {
            const std::size_t n = p.shapes[p.step_begin[s + 1]].numel();
            if (p.target[s] == buffer_a && n > p.a_elements) p.a_elements = n;
            if (p.target[s] == buffer_b && n > p.b_elements) p.b_elements = n;
        }
        return p;
    }

    template <class T>
    static constexpr std::size_t scratch_elements(shape in, std::size_t n) {
        const auto p = plan<T>(in);
        std::size_t step_scratch = 0;
        boost::hana::for_each(indices, [&](auto i) {
            constexpr std::size_t k = decltype(i)::value;
            if constexpr (starts_step[k]) {
                std::size_t s = 0;
                if constexpr (std::is_void_v<fusion_at<k>>) {
                    using Child = child_at<decltype(i)::value>;
                    s = detail::scratch_elements<Child, T>(p.shapes[k], n);
                } else {
                    s = fusion_at<k>::template scratch_elements<T>(p.shapes[k], n);
                }
                if (s > step_scratch) step_scratch = s;
            }
        });
        return detail::aligned_elements(n * p.a_elements, sizeof(T)) +
               detail::aligned_elements(n * p.b_elements, sizeof(T)) + step_scratch;
    }

    template <class T, shape In, std::size_t N>
    static void forward(const std::byte* state, const T* in, T* out, T* scratch) {
        static constexpr auto p = plan<T>(In);
        T* const a = scratch;
        T* const b = a + detail::aligned_elements(N * p.a_elements, sizeof(T));
        T* const step_scratch = b + detail::aligned_elements(N * p.b_elements, sizeof(T));
        auto buffer = [&](detail::buffer_id id) -> T* {
            switch (id) {
                case detail::chain_output: return out;
                case detail::buffer_a: return a;
                case detail::buffer_b: return b;
                default: return nullptr;  // the chain's input is read through `in`
            }
        };
        if constexpr (size == 0) {
            if (in != out)
                for (std::size_t k = 0; k < N * In.numel(); ++k) out[k] = in[k];
        } else {
            boost::hana::for_each(boost::hana::make_range(boost::hana::size_c<0>, boost::hana::size_c<p.steps>),
                                  [&](auto s) {
                constexpr std::size_t step = decltype(s)::value, first = p.step_begin[step];
                const T* source = p.source[step] == detail::chain_input ? in : buffer(p.source[step]);
                T* target = buffer(p.target[step]);
                if constexpr (skipped(first)) {
                    (void)source;
                    (void)target;
                } else if constexpr (std::is_void_v<fusion_at<first>>) {
                    using Child = child_at<first>;
                    detail::forward_module<Child, T, p.shapes[first], N>(state + p.state_offset[first], source,
                                                                         target, step_scratch);
                } else {
                    constexpr std::size_t length = step_lengths[first];
                    const std::byte* states[length];
                    for (std::size_t c = 0; c < length; ++c) states[c] = state + p.state_offset[first + c];
                    fusion_at<first>::template run<T, p.shapes[first], N>(states, source, target, step_scratch);
                }
            });
        }
    }

private:
    static constexpr auto indices = boost::hana::make_range(boost::hana::size_c<0>, boost::hana::size_c<size>);
};

}  // namespace typenet
