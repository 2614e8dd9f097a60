// torchvision's resnet18 in C++: the weights torchvision saved, a 224x224 image, the five most
// likely classes. Make the weights with save_weights.py (random here; a trained model's state_dict
// loads the same way), then
//
//     classify resnet18.pth
//
// Without an argument it prints the model's summary and checks nothing else.
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <memory>
#include <numeric>

#include <typenet/typenet.hpp>

#include "resnet.hpp"

using ResNet18 = typenet::Model<torchvision::resnet18<>, typenet::Input<3, 224, 224>>;
static_assert(ResNet18::state_dict.size() == 122);  // len(torchvision.models.resnet18().state_dict())

int main(int argc, char** argv) {
    if (argc < 2) {
        std::cout << typenet::summary<ResNet18>() << '\n';
        return 0;
    }
    auto model = std::make_unique<ResNet18>();
    try {
        typenet::load_state_dict(*model, argv[1]);
    } catch (const typenet::error& e) {
        std::cerr << e.what() << '\n';
        return 1;
    }
    // A synthetic image, normalised as torchvision's transforms would: a bright square on grey.
    auto image = std::make_unique<ResNet18::input_type>();
    for (std::size_t c = 0; c < 3; ++c)
        for (std::size_t y = 0; y < 224; ++y)
            for (std::size_t x = 0; x < 224; ++x) (*image)(c, y, x) = (y > 64 && y < 160 && x > 64 && x < 160) ? 2.0f : 0.0f;
    const ResNet18::output_type logits = model->forward(*image);
    std::array<std::size_t, 1000> classes;
    std::iota(classes.begin(), classes.end(), 0);
    std::partial_sort(classes.begin(), classes.begin() + 5, classes.end(),
                      [&](std::size_t a, std::size_t b) { return logits[a] > logits[b]; });
    for (std::size_t i = 0; i < 5; ++i) std::printf("class %4zu  logit %8.3f\n", classes[i], logits[classes[i]]);
}
