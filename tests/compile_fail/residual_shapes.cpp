// A ResNet block that halves the resolution and doubles the channels, but whose shortcut is the
// identity (torchvision gives it a `downsample`): body [128, 14, 14], shortcut [64, 28, 28].
// path: layer2.0
// shapes: 128,14,14 64,28,28
// message: Add/Mul: the shapes of two operands
#include <typenet/typenet.hpp>

using namespace typenet;
using Block2 = Block<
    Named<"conv1", Conv2d<64, 128, 3, stride<2>, padding<1>, bias<false>>>, Named<"bn1", BatchNorm2d<128>>,
    Named<"relu", ReLU>, Named<"conv2", Conv2d<128, 128, 3, padding<1>, bias<false>>>, Named<"bn2", BatchNorm2d<128>>,
    Forward<Then<Add<Call<"conv1", "bn1", "relu", "conv2", "bn2">, Identity>, Call<"relu">>>>;
Model<Sequential<Named<"layer2", Sequential<Block2>>>, Input<64, 28, 28>> model;
