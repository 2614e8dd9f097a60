// The seed's SimpleMNISTModel as a typenet type: its summary, its state_dict entries (the keys and
// shapes PyTorch prints for `model.state_dict()`), and a forward pass on one image.
#include <cstdio>
#include <iostream>
#include <memory>

#include <typenet/typenet.hpp>

#include "simple_mnist_model.hpp"

using Model = typenet::Model<SimpleMNISTModel<>, typenet::Input<1, 28, 28>>;

// Everything below is known to the compiler.
static_assert(Model::output_shape == typenet::shape{10});
static_assert(Model::state_dict.size() == 12);
static_assert(Model::state_dict[0].key == "features.0.weight");
static_assert(Model::module("classifier.1").input_shape == typenet::shape{128 * 4 * 4});

int main() {
    std::cout << typenet::summary<Model>() << '\n';

    for (const typenet::state_entry& entry : Model::state_dict)
        std::cout << entry.key << ' ' << typenet::to_string(entry.shape) << '\n';

    // The model is a few megabytes of fixed size: keep it off the stack.
    auto model = std::make_unique<Model>();
    Model::input_type image{};
    for (std::size_t y = 10; y < 18; ++y)
        for (std::size_t x = 4; x < 24; ++x) image(0, y, x) = 1.0f;  // a bright horizontal bar
    const Model::output_type logits = model->forward(image);
    std::cout << "\nlogits of a forward pass (parameters not loaded, all zero):";
    for (float v : logits) std::printf(" %.4f", v);
    std::cout << '\n';
}
