// Parameter: a learnable tensor owned by a module directly, like an nn.Parameter attribute
// (ConvNeXt's layer_scale, ViT's class_token). As a child of a Block, its key is the child's path
// itself ("layer_scale", not "layer_scale.weight"), and, as in PyTorch, it comes before the
// entries of the Block's other children; called in a forward expression it yields its value for
// every sample, whatever the input, so that Mul<Call<"layer_scale">, ...> scales by it.
//
//     using Scaled = typenet::Block<typenet::Named<"layer_scale", typenet::Parameter<typenet::shape{4, 1, 1}>>,
//                                   typenet::Forward<typenet::Mul<typenet::Call<"layer_scale">, typenet::Identity>>>;
//     static_assert(typenet::Model<Scaled, typenet::Input<4, 3, 3>>::state_dict[0].key == "layer_scale");
#pragma once

#include <array>
#include <cstddef>
#include <string_view>

#include "../backward.hpp"
#include "../detail/kernels/common.hpp"
#include "../layer.hpp"

namespace typenet {

template <shape Shape>
struct Parameter {
    static_assert(Shape.rank >= 1, "Parameter: give its shape, e.g. Parameter<shape{64, 1, 1}>");
    static constexpr std::string_view type_name = "Parameter";
    static constexpr std::array state{parameter("", Shape)};
    static constexpr bool sample_wise = true;
    // PyTorch's state_dict lists a module's own parameters before its children's entries, whatever
    // the order they were registered in: a Block lists children with owned_by_parent first.
    static constexpr bool owned_by_parent = true;

    static constexpr shape_check infer(shape) { return {Shape}; }

    template <class T, shape In, std::size_t N>
    static void propagate(layer_params<Parameter, T> params, const T*, T* out) {
        for (std::size_t n = 0; n < N; ++n) detail::copy_values<Shape.numel()>(params.template get<0>(), out + n * Shape.numel());
    }
    // Training (backward.hpp): every sample's copy adds its gradient; the input has none (it is not read).
    template <class T, shape In, std::size_t N>
    static void backward(const backward_pass<Parameter, T>& p) {
        if (p.grads) {
            T* grad = p.grads.template get<0>();
            for (std::size_t n = 0; n < N; ++n)
                for (std::size_t i = 0; i < Shape.numel(); ++i) grad[i] += p.grad_out[n * Shape.numel() + i];
        }
        if (p.grad_in)
            for (std::size_t i = 0; i < N * In.numel(); ++i) p.grad_in[i] = T(0);
    }
};

}  // namespace typenet
