// Running modules one after the other: the engine behind Sequential and a Block's Then. It plans,
// at compile time, which steps run (a step is one module, or a few fused ones: fusion.hpp) and
// where each reads and writes, so that a chain needs at most two intermediate buffers.
//
// A chain is described by a List type with
//   static constexpr std::size_t size;
//   template <std::size_t I> using child_at = ...;          // the modules, in order
//   static constexpr std::array<bool, size> child_in_place, child_sample_wise;
//   static constexpr std::array<fusion_kind, size> kinds;    // chain_members computes these three
//   template <class T> static constexpr std::array<std::size_t, size> state_offsets();  // in bytes
#pragma once

#include <array>
#include <cstddef>
#include <type_traits>
#include <utility>

#include <boost/hana/for_each.hpp>
#include <boost/hana/range.hpp>

#include "../module.hpp"
#include "fusion.hpp"
#include "type_at.hpp"

namespace typenet::detail {

template <std::size_t Count>
constexpr bool all_of(const std::array<bool, Count>& flags) {
    for (bool f : flags)
        if (!f) return false;
    return true;
}

// The per-child arrays of a chain of Modules. (Arrays rather than fold expressions: Clang limits
// folds to 256 operands.)
template <class... Modules>
struct chain_members {
    static constexpr std::size_t size = sizeof...(Modules);
    template <std::size_t I>
    using child_at = type_at<I, Modules...>;
    static constexpr std::array<bool, size> child_in_place{in_place<Modules>...};
    static constexpr std::array<bool, size> child_sample_wise{sample_wise<Modules>...};
    static constexpr std::array<fusion_kind, size> kinds{kind_of<Modules>()...};
};

// Where each step reads and writes. Buffers: the chain's input and output, and two scratch buffers
// A and B that alternate. In-place steps (ReLU, Dropout...) reuse the buffer they read.
enum buffer_id : unsigned char { chain_input, chain_output, buffer_a, buffer_b };

template <std::size_t Count>
struct chain_plan {
    std::array<shape, Count + 1> shapes{};              // per child: shapes[i] enters child i
    std::array<std::size_t, Count + 1> step_begin{};    // per step: its first child
    std::size_t steps = 0;
    std::array<buffer_id, Count> source{}, target{};    // per step
    std::size_t a_elements = 0, b_elements = 0;         // per sample
};

template <class List>
struct chain {
    static constexpr std::size_t size = List::size;
    template <std::size_t I>
    using child_at = typename List::template child_at<I>;

    static constexpr bool in_place = all_of(List::child_in_place);
    static constexpr bool sample_wise = all_of(List::child_sample_wise);

    // How many children the step starting at each one covers, and the fused step's type (void for
    // a child on its own).
    static constexpr std::array<std::size_t, size> step_lengths = [] {
        std::array<std::size_t, size> lengths{};
        for (std::size_t i = 0; i < size; ++i) lengths[i] = fused_length(List::kinds, i);
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
    using fusion_at = typename decltype(fusion_type<I, step_lengths[I], List>())::type;

    // A step that leaves the values as they are (Identity, Dropout, Flatten) and is not the last is
    // skipped: the next step reads what it would have read, the chain's input included.
    static constexpr bool skipped(std::size_t first) {
        return step_lengths[first] == 1 && List::kinds[first] == fusion_kind::no_op && first + 1 < size;
    }

    template <class T>
    static constexpr auto plan(shape in) {
        chain_plan<size> p;
        p.shapes[0] = in;
        boost::hana::for_each(indices, [&](auto i) {
            constexpr std::size_t k = decltype(i)::value;
            p.shapes[k + 1] = output_shape<child_at<k>>(p.shapes[k]);
        });
        for (std::size_t i = 0; i < size; ++i)
            if (starts_step[i]) p.step_begin[p.steps++] = i;
        p.step_begin[p.steps] = size;
        if (p.steps == 0) return p;
        // Backwards: a step's target decides its source; in-place steps read where they write.
        p.target[p.steps - 1] = chain_output;
        for (std::size_t s = p.steps; s-- > 0;) {
            const std::size_t first = p.step_begin[s];
            const bool in_place_step = step_lengths[first] == 1 && List::child_in_place[first];
            const buffer_id source =
                in_place_step ? p.target[s] : (p.target[s] == buffer_a ? buffer_b : buffer_a);
            if (s == 0) {
                p.source[0] = chain_input;
            } else {
                p.source[s] = source;
                p.target[s - 1] = source;
            }
        }
        for (std::size_t s = 0; s + 1 < p.steps; ++s)
            if (skipped(p.step_begin[s])) p.source[s + 1] = p.source[s];
        for (std::size_t s = 0; s + 1 < p.steps; ++s) {
            const std::size_t n = p.shapes[p.step_begin[s + 1]].numel();
            if (p.target[s] == buffer_a && n > p.a_elements) p.a_elements = n;
            if (p.target[s] == buffer_b && n > p.b_elements) p.b_elements = n;
        }
        return p;
    }

    // The plan for one input shape, computed once.
    template <class T, shape In>
    static constexpr chain_plan<size> plan_of = plan<T>(In);

    template <class T, shape In, std::size_t N>
    static constexpr std::size_t scratch_for() {
        constexpr const chain_plan<size>& p = plan_of<T, In>;
        std::size_t step_scratch = 0;
        boost::hana::for_each(indices, [&](auto i) {
            constexpr std::size_t k = decltype(i)::value;
            if constexpr (starts_step[k]) {
                std::size_t s = 0;
                if constexpr (std::is_void_v<fusion_at<k>>)
                    s = scratch_of<child_at<k>, T, plan_of<T, In>.shapes[k], N>;
                else
                    s = fusion_at<k>::template scratch_elements<T>(p.shapes[k], N);
                if (s > step_scratch) step_scratch = s;
            }
        });
        return aligned_elements(N * p.a_elements, sizeof(T)) + aligned_elements(N * p.b_elements, sizeof(T)) +
               step_scratch;
    }

    // `state` is the base the List's state offsets count from.
    template <class T, shape In, std::size_t N>
    [[gnu::always_inline]] static void forward(const std::byte* state, const T* in, T* out, T* scratch) {
        constexpr const chain_plan<size>& p = plan_of<T, In>;
        static constexpr auto offsets = List::template state_offsets<T>();
        T* const a = scratch;
        T* const b = a + aligned_elements(N * p.a_elements, sizeof(T));
        T* const step_scratch = b + aligned_elements(N * p.b_elements, sizeof(T));
        auto buffer = [&](buffer_id id) -> T* {
            switch (id) {
                case chain_output: return out;
                case buffer_a: return a;
                case buffer_b: return b;
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
                const T* source = p.source[step] == chain_input ? in : buffer(p.source[step]);
                T* target = buffer(p.target[step]);
                if constexpr (skipped(first)) {
                    (void)source;
                    (void)target;
                } else if constexpr (std::is_void_v<fusion_at<first>>) {
                    forward_module<child_at<first>, T, p.shapes[first], N>(state + offsets[first], source, target,
                                                                           step_scratch);
                } else {
                    constexpr std::size_t length = step_lengths[first];
                    const std::byte* states[length];
                    for (std::size_t c = 0; c < length; ++c) states[c] = state + offsets[first + c];
                    fusion_at<first>::template run<T, p.shapes[first], N>(states, source, target, step_scratch);
                }
            });
        }
    }

private:
    static constexpr auto indices = boost::hana::make_range(boost::hana::size_c<0>, boost::hana::size_c<size>);
};

}  // namespace typenet::detail
