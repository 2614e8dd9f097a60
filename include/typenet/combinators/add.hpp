// Add: the sum of expressions, with broadcasting, like `a + b` in a forward; and Residual, the
// residual block x + body(x) (or body(x) + shortcut(x)), optionally followed by a module.
//
//     using Res = typenet::Residual<typenet::Named<"body", typenet::Sequential<typenet::Linear<4, 4>, typenet::ReLU>>>;
//     static_assert(typenet::Model<Res, typenet::Input<4>>::state_dict[0].key == "body.0.weight");
//     // In a Block: Forward<Then<Add<Call<"conv1", "bn1", "relu", "conv2", "bn2">, Call<"downsample">>, Call<"relu">>>
//
// Operands must have equal shapes or broadcast (e.g. [C, 1, 1] and [C, H, W]); otherwise the
// model does not compile, and the message names the Block's path and both shapes.
#pragma once

#include <array>
#include <cstddef>
#include <string_view>
#include <type_traits>

#include "../detail/kernels/broadcast.hpp"
#include "../layers/identity.hpp"
#include "block.hpp"

namespace typenet {

namespace detail {

// The broadcast of all operands' shapes, or the first pair that does not broadcast.
template <std::size_t K>
constexpr shape_check broadcast_all(const std::array<shape, K>& operands) {
    shape out = operands[0];
    for (std::size_t k = 1; k < K; ++k) {
        shape next;
        if (!broadcast_shape(out, operands[k], next)) return fail(shape_error::rule::operand_shapes, out, operands[k]);
        out = next;
    }
    return {out};
}

}  // namespace detail

template <class... Operands>
struct Add : Combinator<Operands...> {
    static constexpr std::string_view type_name = "Add";
    static constexpr bool first_operand_in_out = true;
    static constexpr bool stepwise = true;  // position by position: a time step adds as the sequence does

    template <std::size_t K>
    static constexpr shape_check combine_shapes(const std::array<shape, K>& operands) {
        return detail::broadcast_all(operands);
    }

    template <class T, auto Shapes, shape Out, std::size_t N>
    static void combine(const std::array<const T*, Shapes.size()>& operands, T* out) {
        detail::broadcast_apply<T, Shapes, Out, N>(operands, out, [](T a, T b) { return a + b; });
    }
    // Training: each operand gets dL/d(sum), summed where it was broadcast.
    template <class T, auto Shapes, shape Out, std::size_t N, std::size_t K>
    static void backward_operand(const std::array<const T*, Shapes.size()>& operands, const T*, const T* grad_out,
                                 T* grad) {
        detail::broadcast_gradient<T, Shapes, Out, N, K>(operands, grad_out, grad,
                                                         [](T g, const std::array<T, Shapes.size()>&) { return g; });
    }
};

namespace detail {
template <class Entry>
inline constexpr bool plain_identity = std::is_same_v<Entry, Identity>;
}  // namespace detail

// Post(Body(x) + Shortcut(x)), its children named by position (0: Body, 1: Shortcut, 2: Post) unless
// given as Named<"...", M>. An Identity shortcut is x itself; an Identity Post does nothing.
template <class Body, class Shortcut = Identity, class Post = Identity>
struct Residual
    : Block<Body, Shortcut, Post,
            Forward<Then<Add<CallAt<0>, std::conditional_t<detail::plain_identity<Shortcut>, Identity, CallAt<1>>>,
                         std::conditional_t<detail::plain_identity<Post>, Identity, CallAt<2>>>>> {
    static constexpr std::string_view type_name = "Residual";
};

}  // namespace typenet
