// Initial parameters for training from scratch, drawn as PyTorch's layers draw them in
// reset_parameters(): for Linear, Conv1d, Conv2d, ConvTranspose1d and ConvTranspose2d, the weight
// from U(-b, b) with b = 1 / sqrt(fan_in) (kaiming_uniform_ with a = sqrt(5)) and the bias from
// the same range, fan_in being weight.size(1) times the kernel's size. Other entries keep their
// initial values (state_block.hpp: zeros; ones for BatchNorm's and LayerNorm's weight and
// running_var). The numbers come from the seeded generator of backward.hpp, not PyTorch's: the
// distribution is PyTorch's, the values are not.
//
//     using M = typenet::Model<typenet::Sequential<typenet::Linear<4, 3>>, typenet::Input<4>>;
//     auto model = std::make_unique<M>();
//     typenet::init_parameters(*model, 42);   // like a fresh nn.Linear(4, 3), torch.manual_seed(42)
//     for (float w : model->at<"0.weight">()) (void)w;   // each within +-1/2
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "backward.hpp"
#include "dtype.hpp"
#include "state_dict.hpp"

namespace typenet {

namespace detail {
constexpr bool initialised_like_linear(std::string_view type_name) {
    return type_name == "Linear" || type_name == "Conv1d" || type_name == "Conv2d" ||
           type_name == "ConvTranspose1d" || type_name == "ConvTranspose2d";
}
}  // namespace detail

template <class M>
void init_parameters(M& model, std::uint64_t seed) {
    using T = typename M::scalar_type;
    random_bits random{seed};
    for (const module_info& m : M::modules) {
        if (!m.is_layer || !detail::initialised_like_linear(m.type_name)) continue;
        const state_entry& weight = M::state_dict[m.first_entry];
        std::size_t fan_in = 1;
        for (std::size_t d = 1; d < weight.shape.rank; ++d) fan_in *= weight.shape[d];
        const double bound = 1 / std::sqrt(double(fan_in));
        for (std::size_t i = m.first_entry; i < m.end_entry; ++i) {
            const state_entry& e = M::state_dict[i];
            T* values = reinterpret_cast<T*>(model.bytes(e).data());
            for (std::size_t k = 0; k < e.numel; ++k) values[k] = T((2 * double(random.uniform()) - 1) * bound);
        }
    }
}

}  // namespace typenet
