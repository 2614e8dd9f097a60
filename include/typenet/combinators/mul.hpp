// Mul: the elementwise product of expressions, with broadcasting, like `a * b` in a forward; and
// Gate, x * G(x): the gating of squeeze-and-excitation, where G(x) is [C, 1, 1] and scales each
// channel of x.
//
//     using SE = typenet::Gate<typenet::Sequential<typenet::AdaptiveAvgPool2d<1, 1>, typenet::Conv2d<8, 2, 1>,
//                                                  typenet::ReLU, typenet::Conv2d<2, 8, 1>>>;
//     static_assert(typenet::Model<SE, typenet::Input<8, 5, 5>>::output_shape == typenet::shape{8, 5, 5});
//     // In a Block (torchvision's SqueezeExcitation): Forward<Mul<Identity, Call<"avgpool", "fc1", "activation",
//     //                                                                      "fc2", "scale_activation">>>
#pragma once

#include <array>
#include <cstddef>
#include <string_view>

#include "add.hpp"
#include "block.hpp"

namespace typenet {

template <class... Operands>
struct Mul : Combinator<Operands...> {
    static constexpr std::string_view type_name = "Mul";
    static constexpr bool first_operand_in_out = true;
    static constexpr bool stepwise = true;  // position by position: a time step multiplies as the sequence does

    template <std::size_t K>
    static constexpr shape_check combine_shapes(const std::array<shape, K>& operands) {
        return detail::broadcast_all(operands);
    }

    template <class T, auto Shapes, shape Out, std::size_t N>
    static void combine(const std::array<const T*, Shapes.size()>& operands, T* out) {
        detail::broadcast_apply<T, Shapes, Out, N>(operands, out, [](T a, T b) { return a * b; });
    }
    // Training, the product rule: operand K gets dL/d(product) times the other operands, summed
    // where it was broadcast.
    template <class T, auto Shapes, shape Out, std::size_t N, std::size_t K>
    static void backward_operand(const std::array<const T*, Shapes.size()>& operands, const T*, const T* grad_out,
                                 T* grad) {
        detail::broadcast_gradient<T, Shapes, Out, N, K>(
            operands, grad_out, grad, [](T g, const std::array<T, Shapes.size()>& x) {
                for (std::size_t k = 0; k < x.size(); ++k)
                    if (k != K) g *= x[k];
                return g;
            });
    }
};

// x * G(x), G named by position (0) unless given as Named<"...", M>.
template <class G>
struct Gate : Block<G, Forward<Mul<Identity, CallAt<0>>>> {
    static constexpr std::string_view type_name = "Gate";
};

}  // namespace typenet
