// The benchmark's models as typenet types; each mirrors the PyTorch model of the same name in
// model_zoo.py. Three are the parity tests' reference models, so tests and benchmarks agree; two
// three are torchvision's, as examples/torchvision/ declares them (key for key, value for value).
#pragma once

#include <typenet/typenet.hpp>

#include "../examples/torchvision/efficientnet.hpp"
#include "../examples/torchvision/mobilenet_v2.hpp"
#include "../examples/torchvision/resnet.hpp"
#include "../tests/reference/models.hpp"

namespace bench::models {

using namespace typenet;

using mlp = reference::mlp;
using simple_mnist = reference::simple_mnist;
using simple_mnist_bn = reference::simple_mnist_batch_norm;

// model_zoo.vgg_small(): three blocks of two 3x3 convolutions and a max pool, 3x32x32 -> 10. The
// blocks are spelled out because PyTorch numbers the layers of `features` straight through (0..14).
using vgg_small = Sequential<
    Named<"features", Sequential<
        Conv2d<3, 32, 3, padding<1>>, ReLU, Conv2d<32, 32, 3, padding<1>>, ReLU, MaxPool2d<2>,      // 32 -> 16
        Conv2d<32, 64, 3, padding<1>>, ReLU, Conv2d<64, 64, 3, padding<1>>, ReLU, MaxPool2d<2>,     // 16 -> 8
        Conv2d<64, 128, 3, padding<1>>, ReLU, Conv2d<128, 128, 3, padding<1>>, ReLU, MaxPool2d<2>>>,  // 8 -> 4
    Named<"classifier", Sequential<Flatten, Linear<128 * 4 * 4, 256>, ReLU, Linear<256, 10>>>>;

// torchvision.models.resnet18(), mobilenet_v2() and efficientnet_b0(), 1000 classes.
using resnet18 = torchvision::resnet18<>;
using mobilenet_v2 = torchvision::mobilenet_v2<>;
using efficientnet_b0 = torchvision::efficientnet_b0<>;

}  // namespace bench::models
