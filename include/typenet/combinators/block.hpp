// Block: a module with named attribute children and a forward expression, like a PyTorch class
// whose __init__ registers children and whose forward combines them. The children come first, in
// registration order (that is the state_dict's order, whatever order data flows in); Forward<...>
// says what forward computes:
//
//     using BasicBlock = typenet::Block<
//         typenet::Named<"conv1", typenet::Conv2d<8, 8, 3, typenet::padding<1>, typenet::bias<false>>>,
//         typenet::Named<"bn1", typenet::BatchNorm2d<8>>,
//         typenet::Named<"relu", typenet::ReLU>,
//         typenet::Named<"conv2", typenet::Conv2d<8, 8, 3, typenet::padding<1>, typenet::bias<false>>>,
//         typenet::Named<"bn2", typenet::BatchNorm2d<8>>,
//         typenet::Forward<typenet::Then<
//             typenet::Add<typenet::Call<"conv1", "bn1", "relu", "conv2", "bn2">, typenet::Identity>,
//             typenet::Call<"relu">>>>;
//     static_assert(typenet::Model<BasicBlock, typenet::Input<8, 6, 6>>::state_dict[1].key == "bn1.weight");
//
// Expressions (each a function of the Block's input x):
//   Identity               x itself
//   Call<"a", "b", ...>    b(a(x)): the named children, one after the other (CallAt<0, 1> by position)
//   Then<E1, E2, ...>      E2(E1(x)), ...
//   Add<E...>, Mul<E...>   sums and products with broadcasting (combinators/add.hpp, mul.hpp)
//   Cat<E...>              concatenation along dim 1 (combinators/cat.hpp)
//   a Module               a child without state used in place, like F.relu in a forward
// Children may also be unnamed: they are then named by position, like a ModuleList's.
//
// In a Stream (stream.hpp) a Block runs its expression one time step at a time, when each child is
// called once in it and every combinator steps (Add and Mul; not Cat).
//
// A Block trains (trainable.hpp) when its children and combinators do: a child called twice
// accumulates both calls' gradients, as shared weights do in PyTorch.
//
// A new combinator is a class template over expressions deriving from Combinator<Operands...>
// with a shape rule and a kernel (see Combinator below, and add.hpp for a complete one).
// Every shape is checked at compile time; a mismatch names the Block's path and both shapes.
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
#include "../layers/identity.hpp"
#include "../module.hpp"
#include "../options.hpp"
#include "sequential.hpp"

namespace typenet {

// The forward expression of a Block.
template <class Expression>
struct Forward {
    using expression = Expression;
};

// The named children applied one after the other: Call<"conv1", "bn1"> is bn1(conv1(x)).
template <detail::fixed_string... Names>
struct Call {
    static_assert(sizeof...(Names) >= 1, "typenet::Call names at least one child");
};

// The same by position among the Block's children: CallAt<0, 1>.
template <std::size_t... Positions>
struct CallAt {
    static_assert(sizeof...(Positions) >= 1, "typenet::CallAt names at least one child");
};

// A child that is not there, like an attribute set to None in PyTorch (`self.downsample = None`):
// it has no state and is not listed among the modules, and calling it gives x unchanged, the
// `if self.downsample is not None` of a forward. Useful in templates:
// Named<"downsample", std::conditional_t<needs_downsample, Sequential<...>, Absent>>.
struct Absent : Identity {
    static constexpr std::string_view type_name = "None";
    static constexpr bool absent = true;
};

// Expressions applied one after the other, each to the result of the one before.
template <class... Expressions>
struct Then {};

// The base of a combinator, an expression node over operand expressions. The derived template
// provides its name, its shape rule on the operands' output shapes and its kernel:
//
//     template <class... Operands>
//     struct Max : typenet::Combinator<Operands...> {
//         static constexpr std::string_view type_name = "Max";
//         template <std::size_t K>
//         static constexpr typenet::shape_check combine_shapes(const std::array<typenet::shape, K>& s) {
//             for (const typenet::shape& o : s)
//                 if (o != s[0]) return typenet::fail("Max: operands of different shapes", s[0], o);
//             return {s[0]};
//         }
//         // Each operand's output for N samples; `out` gets N samples of shape Out.
//         template <class T, auto Shapes, typenet::shape Out, std::size_t N>
//         static void combine(const std::array<const T*, Shapes.size()>& operands, T* out) {
//             for (std::size_t i = 0; i < N * Out.numel(); ++i) {
//                 T m = operands[0][i];
//                 for (const T* o : operands) m = o[i] > m ? o[i] : m;
//                 out[i] = m;
//             }
//         }
//     };
//
// Template arguments that are options (options.hpp) are not operands: the combinator reads them
// itself. Optional: `first_operand_in_out = true` when combine accepts operands[0] == out (the
// first operand is then computed straight into the output), `sample_wise = false` when samples
// depend on each other, `stepwise = true` when it combines each position on its own (a Block using
// it then runs in a Stream, its rule and kernel serving one time step's shapes).
//
// For training (trainable.hpp) a combinator also gives each operand's gradient: given the operands,
// the output and dL/d(output), write dL/d(operand K) into `grad` (N samples of Shapes[K]):
//
//         template <class T, auto Shapes, typenet::shape Out, std::size_t N, std::size_t K>
//         static void backward_operand(const std::array<const T*, Shapes.size()>& operands, const T* out,
//                                      const T* grad_out, T* grad) {
//             for (std::size_t i = 0; i < N * Out.numel(); ++i)  // the maximum's gradient goes to it
//                 grad[i] = operands[K][i] == out[i] ? grad_out[i] : T(0);
//         }
//
// (Add, Mul and Cat have it.) The Block sums the gradients every operand sends back to x.
template <class... Arguments>
struct Combinator {
    static constexpr bool expression_node = true;
};

namespace detail {

template <class E>
inline constexpr bool is_expression_node = requires { requires E::expression_node; };

template <class E>
inline constexpr bool is_option = option<E>;

template <class M>
inline constexpr bool owned_by_parent = requires { requires M::owned_by_parent; };

// ---- The shape pass over an expression ----------------------------------------------------
//
// Before a Block's children can be visited in registration order, their input shapes must be
// known, which only data-flow order gives. The flow pass computes them (and the first rule
// broken, either by a child or by a combinator) into a flow context:
//   bool failed;  record_call(k, input, ok);  fail_node(check);  (optional) stepping = true

// A flow context's `stepping` says whether shapes are one time step's (stream.hpp), checked by
// the step rules, or a whole sample's.
template <class F>
inline constexpr bool flow_steps = requires { requires F::stepping; };

// A flow context that records nothing: shapes only, for models already known to be valid.
template <bool Stepping = false>
struct null_flow {
    static constexpr bool stepping = Stepping;
    bool failed = false;
    constexpr void record_call(std::size_t, shape, bool ok) { failed = failed || !ok; }
    constexpr void fail_node(const shape_check&) { failed = true; }
};

// What a Block's flow pass learns: each child's input shape, how often it is called, and the
// first failure.
template <std::size_t Children, bool Stepping = false>
struct block_flow {
    static constexpr bool stepping = Stepping;
    std::array<shape, Children> input{};
    std::array<bool, Children> called{};
    std::array<std::size_t, Children> calls{};
    bool failed = false;
    bool node_failed = false;  // the failure is a combinator's or an unnamed module's, not a child's
    shape_check error{};
    constexpr void record_call(std::size_t k, shape in, bool ok) {
        if (!called[k] || !ok) input[k] = in;  // a failing call is what the child's visit must reproduce
        called[k] = true;
        ++calls[k];
        if (!ok) failed = true;
    }
    constexpr void fail_node(const shape_check& check) {
        failed = true;
        node_failed = true;
        error = check;
    }
};

// The shape visitor that keeps the first failed rule.
struct first_failure_visitor : shape_visitor {
    shape_check error{};
    constexpr void fail(const shape_check& check) {
        if (ok) error = check;
        ok = false;
    }
};

// The same for one time step's shapes (stream.hpp).
struct first_failure_step_visitor : first_failure_visitor {
    static constexpr bool stepping = true;
};

template <Module M, bool Stepping = false>
constexpr shape_check checked_output(shape in) {
    std::conditional_t<Stepping, first_failure_step_visitor, first_failure_visitor> v;
    const shape out = visit_module<M>(v, {}, in);
    if (!v.ok) return v.error;
    return {out};
}

// Passes a walk on to a visitor without checking shapes (for children whose input shape is not
// known because an earlier rule failed): their state entries are still seen, in order.
template <class V>
struct unchecked_visitor {
    V& v;
    constexpr bool checking() const { return false; }
    constexpr void enter(const child_name& name, const module_description& d, shape in) { v.enter(name, d, in); }
    constexpr void leave(shape out) { v.leave(out); }
    constexpr void fail(const shape_check&) {}
    constexpr void entry(const state_spec& spec) { v.entry(spec); }
};

// ---- Units: a bound expression, what runs ----------------------------------------------------
//
// Binding replaces the names in an expression by the Block's children. Every bound expression is
// a unit: `module` (what runs: a child, an unnamed module, or a combinator's module), the offset of
// its state from the Block's, its flow, and (training) whether a parameter it calls learns.

struct input_unit {
    using module = Identity;
    template <class T>
    static constexpr std::size_t offset() { return 0; }
    template <class F>
    static constexpr shape flow(F&, shape in) { return in; }
    template <class T>
    static bool learns(const train_context&, const std::byte*) { return false; }
};

template <class Block, std::size_t K>
struct call_unit {
    using module = typename Block::template child_at<K>;
    template <class T>
    static constexpr std::size_t offset() { return Block::template state_offsets<T>()[K]; }
    template <class F>
    static constexpr shape flow(F& f, shape in) {
        if (f.failed) return in;
        const shape_check check = checked_output<module, flow_steps<F>>(in);
        f.record_call(K, in, check.ok());
        return check.ok() ? check.output : in;
    }
    template <class T>
    static bool learns(const train_context& c, const std::byte* state) {
        if constexpr (frozen_module<module> || state_bytes<module, T> == 0) return false;
        else return c.learning.any(state + offset<T>(), state + offset<T>() + state_bytes<module, T>);
    }
};

template <class M>
struct inline_unit {
    static_assert(state_bytes<M, float> == 0,
                  "typenet: a module used directly in a forward expression must have no state (parameters or "
                  "buffers); make it a child of the Block (Named<\"name\", ...>) and Call it");
    using module = M;
    template <class T>
    static constexpr std::size_t offset() { return 0; }
    template <class F>
    static constexpr shape flow(F& f, shape in) {
        if (f.failed) return in;
        const shape_check check = checked_output<M, flow_steps<F>>(in);
        if (!check.ok()) f.fail_node(check);
        return check.ok() ? check.output : in;
    }
    template <class T>
    static bool learns(const train_context&, const std::byte*) { return false; }  // no state
};

// The module that runs a combinator Node (whose arguments are bound) as a Container.
template <class Node>
struct node_module;

template <class... Units>
struct then_module;

// Operands of a node: its arguments that are not options.
template <class... Arguments>
struct operand_list {};
template <class List, class Argument>
struct append_operand;
template <class... Units, class Argument>
struct append_operand<operand_list<Units...>, Argument> {
    using type = std::conditional_t<is_option<Argument>, operand_list<Units...>, operand_list<Units..., Argument>>;
};
template <class... Arguments>
struct operands_of {
    using type = operand_list<>;
};
template <class First, class... Rest>
struct operands_of<First, Rest...> {
    using type = typename append_operand<typename operands_of<Rest...>::type, First>::type;
};
// (Built back to front: restore the order.)
template <class List, class Reversed = operand_list<>>
struct reverse_operands;
template <class... Done>
struct reverse_operands<operand_list<>, operand_list<Done...>> {
    using type = operand_list<Done...>;
};
template <class First, class... Rest, class... Done>
struct reverse_operands<operand_list<First, Rest...>, operand_list<Done...>> {
    using type = typename reverse_operands<operand_list<Rest...>, operand_list<First, Done...>>::type;
};

template <class Node>
struct node_unit {
    using module = node_module<Node>;
    template <class T>
    static constexpr std::size_t offset() { return 0; }
    template <class F>
    static constexpr shape flow(F& f, shape in) { return module::flow(f, in); }
    template <class T>
    static bool learns(const train_context& c, const std::byte* state) { return module::template learns<T>(c, state); }
};

template <class... Units>
struct then_unit {
    using module = then_module<Units...>;
    template <class T>
    static constexpr std::size_t offset() { return 0; }
    template <class F>
    static constexpr shape flow(F& f, shape in) {
        shape s = in;
        ((s = Units::flow(f, s)), ...);
        return s;
    }
    template <class T>
    static bool learns(const train_context& c, const std::byte* state) {
        return (Units::template learns<T>(c, state) || ...);
    }
};

// Backward through a unit (training), given the Block's state and gradients: a child or an unnamed
// module by backward_module at its offset; a combinator or a Then, whose state is the Block's own
// (its units hold the offsets), directly.
template <class U>
inline constexpr bool is_inner_unit = false;
template <class Node>
inline constexpr bool is_inner_unit<node_unit<Node>> = true;
template <class... Units>
inline constexpr bool is_inner_unit<then_unit<Units...>> = true;

template <class U, class T, shape In, std::size_t N>
inline void backward_unit(const train_context& c, const std::byte* state, std::byte* grads, const T* in,
                          const T* tape, const T* grad_out, T* grad_in, T* scratch) {
    if constexpr (is_inner_unit<U>) {
        if (grads && !U::template learns<T>(c, state)) grads = nullptr;
        if (!grads && !grad_in) return;
        U::module::template backward<T, In, N>(c, state, grads, in, tape, grad_out, grad_in, scratch);
    } else {
        constexpr std::size_t at = U::template offset<T>();
        backward_module<typename U::module, T, In, N>(c, state + at, grads ? grads + at : nullptr, in, tape,
                                                      grad_out, grad_in, scratch);
    }
}

// ---- Binding ------------------------------------------------------------------------------

template <class E, class Block>
struct bind {
    static_assert(Module<E> || is_option<E>,
                  "typenet: this is not an expression (Identity, Call<...>, CallAt<...>, Then<...>, a combinator "
                  "such as Add<...>, or a module without state)");
    using type = std::conditional_t<is_option<E>, E, inline_unit<std::conditional_t<Module<E>, E, Identity>>>;
};
template <class Block>
struct bind<Identity, Block> {  // x itself: read where it is, never copied
    using type = input_unit;
};
template <class Block, std::size_t K>
using call_or_input = std::conditional_t<std::is_same_v<typename Block::template child_at<K>, Absent>, input_unit,
                                         call_unit<Block, K>>;
template <fixed_string Name, class Block>
struct bind<Call<Name>, Block> {
    static constexpr std::size_t index = Block::index_of(Name.view());
    static_assert(index < Block::size, "typenet::Call: the Block has no child of this name (see Call<...> above)");
    using type = call_or_input<Block, index < Block::size ? index : 0>;
};
template <fixed_string First, fixed_string Second, fixed_string... Rest, class Block>
struct bind<Call<First, Second, Rest...>, Block> {
    using type = then_unit<typename bind<Call<First>, Block>::type, typename bind<Call<Second>, Block>::type,
                           typename bind<Call<Rest>, Block>::type...>;
};
template <std::size_t Position, class Block>
struct bind<CallAt<Position>, Block> {
    static_assert(Position < Block::size, "typenet::CallAt: the Block has fewer children");
    using type = call_or_input<Block, Position < Block::size ? Position : 0>;
};
template <std::size_t First, std::size_t Second, std::size_t... Rest, class Block>
struct bind<CallAt<First, Second, Rest...>, Block> {
    using type = then_unit<typename bind<CallAt<First>, Block>::type, typename bind<CallAt<Second>, Block>::type,
                           typename bind<CallAt<Rest>, Block>::type...>;
};
template <class... Expressions, class Block>
struct bind<Then<Expressions...>, Block> {
    using type = then_unit<typename bind<Expressions, Block>::type...>;
};
template <template <class...> class Node, class... Arguments, class Block>
    requires is_expression_node<Node<Arguments...>>
struct bind<Node<Arguments...>, Block> {
    using type = node_unit<Node<typename bind<Arguments, Block>::type...>>;
};

template <class E, class Block>
using bind_t = typename bind<E, Block>::type;

// ---- Running a combinator ---------------------------------------------------------------------

template <class Unit>
inline constexpr bool is_input_unit = std::is_same_v<Unit, input_unit>;

// The shape rule of a combinator on one time step's operands (stream.hpp): its own
// step_combine_shapes, or its combine_shapes when it declares `stepwise = true` (it combines each
// position alone, so a step combines as the whole sequence does, as Add and Mul), or refused.
template <class Node, std::size_t K>
constexpr shape_check step_combine(const std::array<shape, K>& operands) {
    if constexpr (requires { Node::step_combine_shapes(operands); }) {
        return Node::step_combine_shapes(operands);
    } else if constexpr (requires { requires Node::stepwise; }) {
        return Node::combine_shapes(operands);
    } else {
        return fail("Stream: this combinator cannot run one time step at a time: it does not declare stepwise = true "
                    "(combines each position on its own; see block.hpp). Run the whole sequence with a Model.",
                    shape{}, operands[0]);
    }
}

template <class Node, class Operands>
struct node_runner;

template <class Node, class... Units>
struct node_runner<Node, operand_list<Units...>> {
    static constexpr std::size_t count = sizeof...(Units);
    static_assert(count >= 1, "typenet: a combinator needs at least one operand");
    template <std::size_t K>
    using unit_at = type_at<K, Units...>;

    static constexpr bool first_in_out = [] {
        if constexpr (requires { Node::first_operand_in_out; }) return bool(Node::first_operand_in_out);
        else return false;
    }();
    static constexpr bool sample_wise = [] {
        if constexpr (requires { Node::sample_wise; }) return bool(Node::sample_wise);
        else return true;
    }() && (detail::sample_wise<typename Units::module> && ...);

    template <class F>
    static constexpr shape flow(F& f, shape in) {
        std::array<shape, count> shapes{};
        std::size_t k = 0;
        ((shapes[k++] = Units::flow(f, in)), ...);
        if (f.failed) return in;
        shape_check check;
        if constexpr (flow_steps<F>) check = step_combine<Node>(shapes);
        else check = Node::combine_shapes(shapes);
        if (!check.ok()) {
            f.fail_node(check);
            return in;
        }
        return check.output;
    }

    template <bool Stepping = false>
    static constexpr std::array<shape, count> operand_shapes(shape in) {
        null_flow<Stepping> f;
        return {Units::flow(f, in)...};
    }
    template <bool Stepping = false>
    static constexpr shape output(shape in) {
        null_flow<Stepping> f;
        return flow(f, in);
    }
    // Both for one input shape (of a whole forward, or of one time step when Stepping), computed once.
    template <shape In, bool Stepping = false>
    static constexpr std::array<shape, count> shapes_of = operand_shapes<Stepping>(In);
    template <shape In, bool Stepping = false>
    static constexpr shape output_of = output<Stepping>(In);

    // Operand K goes straight to `out` (the first, when the combinator allows it and shapes agree).
    template <std::size_t K, shape In, bool Stepping = false>
    static constexpr bool into_out =
        K == 0 && first_in_out && shapes_of<In, Stepping>[0] == output_of<In, Stepping>;
    template <std::size_t K, shape In, bool Stepping = false>
    static constexpr bool needs_buffer = !is_input_unit<unit_at<K>> && !into_out<K, In, Stepping>;
    template <class T, shape In, std::size_t N, bool Stepping = false>
    static constexpr std::size_t buffer_elements = [] {
        std::size_t total = 0;
        [&]<std::size_t... K>(std::index_sequence<K...>) {
            ((total += needs_buffer<K, In, Stepping>
                           ? aligned_elements(N * shapes_of<In, Stepping>[K].numel(), sizeof(T))
                           : 0),
             ...);
        }(std::make_index_sequence<count>{});
        return total;
    }();
    template <class T, shape In, std::size_t N>
    static constexpr std::size_t scratch_for() {
        std::size_t largest = 0;
        ((largest = std::max(largest, scratch_of<typename Units::module, T, In, N>)), ...);
        return buffer_elements<T, In, N> + largest;
    }

    // Computes each operand into its place (the input itself, `out`, or the next buffer of scratch)
    // and combines them. Forward and step differ only in their shapes and in how an operand runs:
    // run(std::integral_constant<std::size_t, K>, target, rest) computes operand K into target.
    template <class T, shape In, std::size_t N, bool Stepping, class Run>
    [[gnu::always_inline]] static void gather(const T* in, T* out, T* scratch, Run&& run) {
        static constexpr auto shapes = shapes_of<In, Stepping>;
        constexpr shape Out = output_of<In, Stepping>;
        T* const rest = scratch + buffer_elements<T, In, N, Stepping>;
        std::array<const T*, count> operands{};
        T* buffer = scratch;
        [&]<std::size_t... K>(std::index_sequence<K...>) {
            ([&] {
                if constexpr (is_input_unit<unit_at<K>>) {
                    operands[K] = in;
                } else {
                    T* target = out;
                    if constexpr (!into_out<K, In, Stepping>) {
                        target = buffer;
                        buffer += aligned_elements(N * shapes[K].numel(), sizeof(T));
                    }
                    run(std::integral_constant<std::size_t, K>{}, target, rest);
                    operands[K] = target;
                }
            }(), ...);
        }(std::make_index_sequence<count>{});
        Node::template combine<T, shapes, Out, N>(operands, out);
    }

    template <class T, shape In, std::size_t N>
    static void forward(const std::byte* state, const T* in, T* out, T* scratch) {
        gather<T, In, N, false>(in, out, scratch, [&]<std::size_t K>(std::integral_constant<std::size_t, K>,
                                                                     T* target, T* rest) {
            using U = unit_at<K>;
            forward_module<typename U::module, T, In, N>(state + U::template offset<T>(), in, target, rest);
        });
    }

    // One time step (stream.hpp): each operand steps on the step's input, with its memory across
    // steps after the operands' before it (each child is called once: Block::visit checks it).
    template <class T, shape In>
    static constexpr std::array<std::size_t, count + 1> step_state_at = [] {
        std::array<std::size_t, count + 1> at{};
        std::size_t k = 0;
        ((at[k + 1] = at[k] + step_state_of<typename Units::module, T, In>, ++k), ...);
        return at;
    }();
    template <class T, shape In>
    static constexpr std::size_t step_scratch() {
        std::size_t largest = 0;
        ((largest = std::max(largest, step_scratch_of<typename Units::module, T, In>)), ...);
        return buffer_elements<T, In, 1, true> + largest;
    }
    template <class T, shape In>
    [[gnu::always_inline]] static void step(const std::byte* params, T* state, const T* in, T* out, T* scratch) {
        gather<T, In, 1, true>(in, out, scratch, [&]<std::size_t K>(std::integral_constant<std::size_t, K>,
                                                                    T* target, T* rest) {
            using U = unit_at<K>;
            step_module<typename U::module, T, In>(params + U::template offset<T>(), state + step_state_at<T, In>[K],
                                                   in, target, rest);
        });
    }

    // Training (detail/training.hpp). The tape holds each operand's tape (none for x itself), then the
    // combined output; backward gives each operand its gradient (the combinator's backward_operand)
    // and sums the input's gradients from all operands, since every operand reads x.
    template <class T, shape In, std::size_t N>
    static constexpr std::array<std::size_t, count + 1> tape_at = [] {
        std::array<std::size_t, count + 1> at{};
        [&]<std::size_t... K>(std::index_sequence<K...>) {
            ((at[K + 1] = at[K] + (is_input_unit<unit_at<K>> ? 0 : tape_of<typename unit_at<K>::module, T, In, N>)),
             ...);
        }(std::make_index_sequence<count>{});
        return at;
    }();
    template <class T, shape In, std::size_t N>
    static constexpr std::size_t tape_for() {
        return tape_at<T, In, N>[count] + aligned_elements(N * output_of<In>.numel(), sizeof(T));
    }
    // Backward's scratch: one operand's gradient, the input's gradient through one operand (before it
    // is added to the others'), then the operands' own scratch.
    template <class T, shape In, std::size_t N>
    static constexpr std::size_t operand_gradient = [] {
        std::size_t largest = 0;
        for (const shape& s : shapes_of<In>) largest = std::max(largest, N * s.numel());
        return aligned_elements(largest, sizeof(T));
    }();
    template <class T, shape In, std::size_t N>
    static constexpr std::size_t gradient_buffers =
        operand_gradient<T, In, N> + aligned_elements(N * In.numel(), sizeof(T));
    template <class T, shape In, std::size_t N>
    static constexpr std::size_t train_scratch_for() {
        std::size_t largest = 0;
        ((largest = std::max(largest, train_scratch_of<typename Units::module, T, In, N>)), ...);
        return gradient_buffers<T, In, N> + largest;
    }
    template <class T>
    static bool learns(const train_context& c, const std::byte* state) {
        return (Units::template learns<T>(c, state) || ...);
    }
    template <class T, shape In, std::size_t N>
    static std::array<const T*, count> recorded_operands(const T* in, const T* tape) {
        std::array<const T*, count> operands{};
        [&]<std::size_t... K>(std::index_sequence<K...>) {
            ((operands[K] = is_input_unit<unit_at<K>>
                                ? in
                                : tape + tape_at<T, In, N>[K] + output_at<typename unit_at<K>::module, T, In, N>),
             ...);
        }(std::make_index_sequence<count>{});
        return operands;
    }
    template <class T, shape In, std::size_t N>
    static void train_forward(const train_context& c, std::byte* state, const T* in, T* tape, T* scratch) {
        [&]<std::size_t... K>(std::index_sequence<K...>) {
            ([&] {
                using U = unit_at<K>;
                if constexpr (!is_input_unit<U>)
                    train_forward_module<typename U::module, T, In, N>(c, state + U::template offset<T>(), in,
                                                                       tape + tape_at<T, In, N>[K], scratch);
            }(), ...);
        }(std::make_index_sequence<count>{});
        Node::template combine<T, shapes_of<In>, output_of<In>, N>(recorded_operands<T, In, N>(in, tape),
                                                                   tape + tape_at<T, In, N>[count]);
    }
    template <class T, shape In, std::size_t N>
    static void backward(const train_context& c, const std::byte* state, std::byte* grads, const T* in,
                         const T* tape, const T* grad_out, T* grad_in, T* scratch) {
        static_assert(has_backward<T, In, N>,
                      "typenet::Trainable: this combinator (its type is above) has no backward pass, so a Block using "
                      "it cannot be trained: add backward_operand<T, Shapes, Out, N, K> (see Combinator in block.hpp)");
        if constexpr (has_backward<T, In, N>)
            backward_operands<T, In, N>(c, state, grads, in, tape, grad_out, grad_in, scratch);
    }
    template <class T, shape In, std::size_t N>
    static constexpr bool has_backward = requires(const std::array<const T*, count>& o, const T* g, T* d) {
        Node::template backward_operand<T, shapes_of<In>, output_of<In>, N, 0>(o, g, g, d);
    };
    template <class T, shape In, std::size_t N>
    static void backward_operands(const train_context& c, const std::byte* state, std::byte* grads, const T* in,
                                  const T* tape, const T* grad_out, T* grad_in, T* scratch) {
        constexpr std::size_t input_size = N * In.numel();
        const std::array<const T*, count> operands = recorded_operands<T, In, N>(in, tape);
        const T* const out = tape + tape_at<T, In, N>[count];
        T* const operand_grad = scratch;
        T* const through_operand = scratch + operand_gradient<T, In, N>;
        T* const rest = scratch + gradient_buffers<T, In, N>;
        bool written = false;  // grad_in holds the gradient through the operands so far
        [&]<std::size_t... K>(std::index_sequence<K...>) {
            ([&] {
                using U = unit_at<K>;
                std::byte* const unit_grads = grads && U::template learns<T>(c, state) ? grads : nullptr;
                if (!unit_grads && !grad_in) return;
                T* const target = !grad_in ? nullptr : written ? through_operand : grad_in;
                if constexpr (is_input_unit<U>) {
                    Node::template backward_operand<T, shapes_of<In>, output_of<In>, N, K>(operands, out, grad_out,
                                                                                           target);
                } else {
                    Node::template backward_operand<T, shapes_of<In>, output_of<In>, N, K>(operands, out, grad_out,
                                                                                           operand_grad);
                    backward_unit<U, T, In, N>(c, state, unit_grads, in, tape + tape_at<T, In, N>[K], operand_grad,
                                               target, rest);
                }
                if (grad_in && written)
                    for (std::size_t i = 0; i < input_size; ++i) grad_in[i] += through_operand[i];
                written = written || grad_in;
            }(), ...);
        }(std::make_index_sequence<count>{});
    }
};

template <template <class...> class Node, class... Arguments>
struct node_module<Node<Arguments...>> {
    using node = Node<Arguments...>;
    using runner = node_runner<node, typename reverse_operands<typename operands_of<Arguments...>::type>::type>;
    static constexpr std::string_view type_name = node::type_name;
    static constexpr bool in_place = false;
    static constexpr bool sample_wise = runner::sample_wise;

    template <class F>
    static constexpr shape flow(F& f, shape in) { return runner::flow(f, in); }
    template <class V>
    static constexpr shape visit(V&, shape in) { return runner::template output<stepping_visitor<V>>(in); }
    template <class T, shape In, std::size_t N>
    static constexpr std::size_t scratch_for() {
        return runner::template scratch_for<T, In, N>();
    }
    template <class T, shape In, std::size_t N>
    static void forward(const std::byte* state, const T* in, T* out, T* scratch) {
        runner::template forward<T, In, N>(state, in, out, scratch);
    }

    // Training (node_runner above); `state` and `grads` are the Block's.
    template <class T>
    static bool learns(const train_context& c, const std::byte* state) {
        return runner::template learns<T>(c, state);
    }
    template <class T, shape In, std::size_t N>
    static constexpr std::size_t tape_for() {
        return runner::template tape_for<T, In, N>();
    }
    template <class T, shape In, std::size_t N>
    static constexpr std::size_t output_in_tape() {
        return runner::template tape_at<T, In, N>[runner::count];
    }
    template <class T, shape In, std::size_t N>
    static constexpr std::size_t train_scratch_for() {
        return runner::template train_scratch_for<T, In, N>();
    }
    template <class T, shape In, std::size_t N>
    static void train_forward(const train_context& c, std::byte* state, const T* in, T* tape, T* scratch) {
        runner::template train_forward<T, In, N>(c, state, in, tape, scratch);
    }
    template <class T, shape In, std::size_t N>
    static void backward(const train_context& c, const std::byte* state, std::byte* grads, const T* in,
                         const T* tape, const T* grad_out, T* grad_in, T* scratch) {
        runner::template backward<T, In, N>(c, state, grads, in, tape, grad_out, grad_in, scratch);
    }

    static constexpr bool steps_children = true;
    template <class T, shape In>
    static constexpr std::size_t step_state_size() {
        return runner::template step_state_at<T, In>[runner::count];
    }
    template <class T, shape In>
    static constexpr std::size_t step_scratch() {
        return runner::template step_scratch<T, In>();
    }
    template <class T, shape In>
    [[gnu::always_inline]] static void step(const std::byte* params, T* state, const T* in, T* out, T* scratch) {
        runner::template step<T, In>(params, state, in, out, scratch);
    }
};

// The chain of a Then, over its units: the chain engine (fusion included) runs it.
template <class... Units>
struct then_module : chain_members<typename Units::module...>, chain_training<then_module<Units...>> {
    static constexpr std::string_view type_name = "Then";
    static constexpr std::size_t size = sizeof...(Units);
    template <std::size_t I>
    using child_at = type_at<I, typename Units::module...>;
    template <class T>
    static constexpr std::array<std::size_t, size> state_offsets() {
        return {Units::template offset<T>()...};
    }
    using chain = detail::chain<then_module>;
    static constexpr bool in_place = chain::in_place;
    static constexpr bool sample_wise = chain::sample_wise;

    template <class V>
    static constexpr shape visit(V&, shape in) {
        null_flow<stepping_visitor<V>> f;
        return then_unit<Units...>::flow(f, in);
    }
    template <class T, shape In, std::size_t N>
    static constexpr std::size_t scratch_for() {
        return chain::template scratch_for<T, In, N>();
    }
    template <class T, shape In, std::size_t N>
    static void forward(const std::byte* state, const T* in, T* out, T* scratch) {
        chain::template forward<T, In, N>(state, in, out, scratch);
    }

    // Training: the units in order, each output kept (train_chain, as a Sequential's); backward in
    // reverse, with `state` and `grads` the Block's: a unit's input gradient is computed when a unit
    // before it learns (the children's places in the state block say nothing of data-flow order).
    // (tape_for, output_in_tape, train_scratch_for and train_forward: detail::chain_training, a base.)
    using train_chain = detail::train_chain<then_module>;
    template <class T>
    static bool learns(const train_context& c, const std::byte* state) {
        return (Units::template learns<T>(c, state) || ...);
    }
    template <class T, shape In, std::size_t N>
    static void backward(const train_context& c, const std::byte* state, std::byte* grads, const T* in,
                         const T* tape, const T* grad_out, T* grad_in, T* scratch) {
        constexpr const auto& s = train_chain::template shapes<In>;
        constexpr const auto& at = train_chain::template tape_offsets<T, In, N>;
        constexpr std::size_t buffer = train_chain::template gradient_buffer<T, In, N>;
        T* const buffers[2] = {scratch, scratch + buffer};
        if constexpr (size == 0) {
            if (grad_in)
                for (std::size_t k = 0; k < N * In.numel(); ++k) grad_in[k] = grad_out[k];
        }
        std::array<bool, size + 1> learns_before{};  // [k]: a unit before k learns
        if (grads) {
            std::size_t k = 0;
            ((learns_before[k + 1] = learns_before[k] || Units::template learns<T>(c, state), ++k), ...);
        }
        boost::hana::for_each(boost::hana::make_range(boost::hana::size_c<0>, boost::hana::size_c<size>), [&](auto i) {
            constexpr std::size_t k = size - 1 - decltype(i)::value;
            const T* unit_in = in;
            if constexpr (k > 0) unit_in = tape + at[k - 1] + output_at<child_at<k - 1>, T, s[k - 1], N>;
            const T* unit_grad_out = k + 1 == size ? grad_out : buffers[k % 2];
            T* unit_grad_in = grad_in;
            if constexpr (k > 0) unit_grad_in = grad_in || learns_before[k] ? buffers[(k + 1) % 2] : nullptr;
            backward_unit<type_at<k, Units...>, T, s[k], N>(c, state, grads, unit_in, tape + at[k], unit_grad_out,
                                                            unit_grad_in, scratch + 2 * buffer);
        });
    }

    // One time step: the units in order, as a Sequential steps.
    static constexpr bool steps_children = true;
    template <class T, shape In>
    static constexpr std::size_t step_state_size() {
        return step_chain<then_module>::template state_offsets<T, In>[size];
    }
    template <class T, shape In>
    static constexpr std::size_t step_scratch() {
        return step_chain<then_module>::template scratch<T, In>();
    }
    template <class T, shape In>
    [[gnu::always_inline]] static void step(const std::byte* params, T* state, const T* in, T* out, T* scratch) {
        step_chain<then_module>::template step<T, In>(params, state, in, out, scratch);
    }
};

// ---- The Block's parts ----------------------------------------------------------------------

template <class Part>
inline constexpr bool is_forward = false;
template <class E>
inline constexpr bool is_forward<Forward<E>> = true;

template <class... Parts>
constexpr std::size_t forward_count() {
    return (std::size_t(is_forward<Parts>) + ... + 0);
}

// Positions of the parts that are children (all but the Forward).
template <class... Parts>
constexpr auto child_positions() {
    constexpr std::array<bool, sizeof...(Parts) + 1> forward{is_forward<Parts>..., false};
    std::array<std::size_t, sizeof...(Parts) - forward_count<Parts...>()> positions{};
    std::size_t n = 0;
    for (std::size_t i = 0; i < sizeof...(Parts); ++i)
        if (!forward[i]) positions[n++] = i;
    return positions;
}

template <class... Parts>
constexpr std::size_t forward_position() {
    constexpr std::array<bool, sizeof...(Parts) + 1> forward{is_forward<Parts>..., true};
    std::size_t i = 0;
    while (!forward[i]) ++i;
    return i;
}

}  // namespace detail

template <class... Parts>
struct Block {
    static_assert(detail::forward_count<Parts...>() == 1,
                  "typenet::Block: give exactly one Forward<expression> among its parts");

private:
    static constexpr auto positions = detail::child_positions<Parts...>();
    template <std::size_t K>
    using part_at = detail::type_at<positions[K], Parts...>;
    using forward_part = detail::type_at<detail::forward_position<Parts...>(), Parts...>;

public:
    static constexpr std::string_view type_name = "Block";
    static constexpr std::size_t size = positions.size();
    template <std::size_t K>
    using child_at = detail::module_of<part_at<K>>;

    static constexpr std::array<bool, size> named = [] {
        return []<std::size_t... K>(std::index_sequence<K...>) {
            return std::array<bool, size>{detail::entry_traits<part_at<K>>::named...};
        }(std::make_index_sequence<size>{});
    }();
    static constexpr std::array<std::string_view, size> names = [] {
        return []<std::size_t... K>(std::index_sequence<K...>) {
            return std::array<std::string_view, size>{detail::entry_traits<part_at<K>>::name...};
        }(std::make_index_sequence<size>{});
    }();
    static_assert(detail::names_valid(names, named),
                  "typenet::Block: child names must be non-empty, contain no '.', differ from each other and from "
                  "the positions of unnamed children");
    static_assert([]<std::size_t... K>(std::index_sequence<K...>) {
        return (detail::children_are_modules<part_at<K>...>());
    }(std::make_index_sequence<size>{}));

    // The child called `name` (a position for unnamed ones), or size.
    static constexpr std::size_t index_of(std::string_view name) {
        for (std::size_t k = 0; k < size; ++k) {
            if (named[k] ? names[k] == name : detail::decimal_value(name) == (long long)k) return k;
        }
        return size;
    }

    // The order of the children in the state_dict (and the state block): registration order, but
    // children owned by the Block itself (Parameter) first, as PyTorch lists a module's own
    // parameters before its children's.
    static constexpr std::array<std::size_t, size> visit_order = [] {
        constexpr std::array<bool, size + 1> own = []<std::size_t... K>(std::index_sequence<K...>) {
            return std::array<bool, size + 1>{detail::owned_by_parent<child_at<K>>..., false};
        }(std::make_index_sequence<size>{});
        std::array<std::size_t, size> order{};
        std::size_t n = 0;
        for (std::size_t k = 0; k < size; ++k)
            if (own[k]) order[n++] = k;
        for (std::size_t k = 0; k < size; ++k)
            if (!own[k]) order[n++] = k;
        return order;
    }();

    template <class T>
    static constexpr std::array<std::size_t, size> state_offsets() {
        constexpr std::array<std::size_t, size + 1> bytes = []<std::size_t... K>(std::index_sequence<K...>) {
            return std::array<std::size_t, size + 1>{detail::state_bytes<child_at<K>, T>..., 0};
        }(std::make_index_sequence<size>{});
        std::array<std::size_t, size> offsets{};
        std::size_t offset = 0;
        for (std::size_t k : visit_order) {
            offsets[k] = offset;
            offset += bytes[k];
        }
        return offsets;
    }

    // The bound forward expression (a unit, see detail above).
    using expression = detail::bind_t<typename forward_part::expression, Block>;
    using runs = typename expression::module;
    static constexpr bool in_place = detail::in_place<runs>;
    static constexpr bool sample_wise = detail::sample_wise<runs>;

    // Shapes in data-flow order first (each child's input), then the children in registration
    // order: the first rule broken is reported where it is, by path.
    template <class V>
    static constexpr shape visit(V& v, shape in) {
        detail::block_flow<size, detail::stepping_visitor<V>> f;
        const shape out = expression::flow(f, in);
        if (f.node_failed && v.checking()) v.fail(f.error);
        if constexpr (detail::stepping_visitor<V>) {
            for (std::size_t k = 0; k < size && v.checking(); ++k)
                if (f.calls[k] > 1)
                    v.fail(fail("Stream: this Block calls one child (position: first number) more than once (second "
                                "number) in its forward, and a step keeps memory per call site, which a shared child "
                                "does not have; give each call its own child, or run the whole sequence with a Model.",
                                k, f.calls[k]));
        }
        boost::hana::for_each(boost::hana::make_range(boost::hana::size_c<0>, boost::hana::size_c<size>), [&](auto i) {
            constexpr std::size_t K = visit_order[decltype(i)::value];
            const detail::child_name name{names[K], K, !named[K]};
            if constexpr (std::is_same_v<child_at<K>, Absent>) {
                (void)name;
            } else if (f.called[K]) {
                detail::visit_module<child_at<K>>(v, name, f.input[K]);
            } else {
                detail::unchecked_visitor<V> unchecked{v};
                detail::visit_module<child_at<K>>(unchecked, name, shape{});
            }
        });
        return f.failed ? in : out;
    }

    template <class T, shape In, std::size_t N>
    static constexpr std::size_t scratch_for() {
        return detail::scratch_of<runs, T, In, N>;
    }

    template <class T, shape In, std::size_t N>
    static void forward(const std::byte* state, const T* in, T* out, T* scratch) {
        detail::forward_module<runs, T, In, N>(state + expression::template offset<T>(), in, out, scratch);
    }

    // Training (trainable.hpp): the expression keeps every output its backward needs; a child called
    // twice adds both calls' gradients into its parameters' (shared weights), and x's gradient sums
    // those of every operand that reads it (x + body(x): the identity's and the body's).
    template <class T, shape In, std::size_t N>
    static constexpr std::size_t tape_for() {
        return detail::tape_of<runs, T, In, N>;
    }
    template <class T, shape In, std::size_t N>
    static constexpr std::size_t output_in_tape() {
        return detail::output_at<runs, T, In, N>;
    }
    template <class T, shape In, std::size_t N>
    static constexpr std::size_t train_scratch_for() {
        return detail::train_scratch_of<runs, T, In, N>;
    }
    template <class T, shape In, std::size_t N>
    static void train_forward(const detail::train_context& c, std::byte* state, const T* in, T* tape, T* scratch) {
        detail::train_forward_module<runs, T, In, N>(c, state + expression::template offset<T>(), in, tape, scratch);
    }
    template <class T, shape In, std::size_t N>
    static void backward(const detail::train_context& c, const std::byte* state, std::byte* grads, const T* in,
                         const T* tape, const T* grad_out, T* grad_in, T* scratch) {
        detail::backward_unit<expression, T, In, N>(c, state, grads, in, tape, grad_out, grad_in, scratch);
    }

    // Streaming (stream.hpp): one time step runs the expression on the step's shapes, every node
    // on its operands' step shapes (combinators that say they step, and inline modules as layers
    // step); the memory across steps is the children's, in data-flow order. A child called twice
    // would need memory per call site and is refused by visit.
    static constexpr bool steps_children = true;
    template <class T, shape In>
    static constexpr std::size_t step_state_size() {
        return detail::step_state_of<runs, T, In>;
    }
    template <class T, shape In>
    static constexpr std::size_t step_scratch() {
        return detail::step_scratch_of<runs, T, In>;
    }
    template <class T, shape In>
    [[gnu::always_inline]] static void step(const std::byte* params, T* state, const T* in, T* out, T* scratch) {
        detail::step_module<runs, T, In>(params + expression::template offset<T>(), state, in, out, scratch);
    }
};

}  // namespace typenet
