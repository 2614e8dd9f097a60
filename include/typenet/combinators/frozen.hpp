// Frozen<M>: module M with its parameters fixed in the type, like setting requires_grad = False
// on them for good. The state_dict, the forward pass and the shapes are M's; training computes no
// gradient for its parameters, optimizers never change them, and when nothing before it learns
// its backward pass is skipped altogether. BatchNorm inside still updates its running statistics
// in train() mode, as in PyTorch (put the model in eval() to stop that).
//
//     using Net = typenet::Sequential<
//         typenet::Named<"features", typenet::Frozen<typenet::Sequential<typenet::Linear<8, 8>, typenet::ReLU>>>,
//         typenet::Named<"classifier", typenet::Linear<8, 2>>>;
//     using M = typenet::Model<Net, typenet::Input<8>>;
//     static_assert(M::state_dict[0].key == "features.0.weight");
//     static_assert(M::frozen_in_type[0] && !M::frozen_in_type[2]);
//
// For freezing chosen at run time, set_requires_grad(path, false) on the model (state_block.hpp).
#pragma once

#include "../module.hpp"

namespace typenet {

template <Module M>
struct Frozen : M {
    static constexpr bool frozen = true;
    using frozen_module = M;  // the layer whose kernels run (detail/training.hpp)
};

}  // namespace typenet
