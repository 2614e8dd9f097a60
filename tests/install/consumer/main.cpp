// A program built against an installed typenet, with weights inside it (typenet_embed_weights),
// and the I/O code from the installed library typenet::io.
#ifndef TYPENET_SEPARATE_IO
#error "linking typenet::io defines TYPENET_SEPARATE_IO"
#endif

#include <memory>

#include "model.hpp"
#include "weights.hpp"  // extern const std::span<const std::byte> weights;

static_assert(M::state_dict[0].key == "1.weight");

int main() {
    auto model = std::make_unique<M>();
    typenet::load_state_dict(*model, weights);
    const M::output_type y = model->forward(M::input_type{});
    return y[0] == 0.0f && y[1] == 3.0f ? 0 : 1;
}
