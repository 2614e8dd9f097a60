// FLOPs of one sample through a typenet Model, counted from its compile-time tables. Each
// multiply-add of Conv2d and Linear counts 2; biases, activations, pooling and BatchNorm are not
// counted (under 1 % for the suite's models, about 2 % for mobilenet_v2), as usual for "model FLOPs":
//   Conv2d: 2 * weight.numel() * out_h * out_w    weight [out_c, in_c / groups, k_h, k_w], so
//                                                 grouped and depthwise convolutions count right
//   Linear: 2 * weight.numel() * rows             rows = output elements / out_features
// model_zoo.count_flops does the same on the PyTorch model; the suite checks that both agree.
#pragma once

#include <cstddef>

#include <typenet/typenet.hpp>

namespace bench {

template <class M>
constexpr std::size_t flops_per_sample() {
    std::size_t total = 0;
    for (const typenet::module_info& m : M::modules) {
        if (!m.is_layer || m.first_entry == m.end_entry) continue;
        const typenet::state_entry& weight = M::state_dict[m.first_entry];  // weight comes first
        if (m.type_name == "Conv2d")
            total += 2 * weight.numel * m.output_shape[1] * m.output_shape[2];
        else if (m.type_name == "Linear")
            total += 2 * weight.numel * (m.output_shape.numel() / m.output_shape.back());
    }
    return total;
}

}  // namespace bench
