// BatchNorm2d(32) after a convolution with 64 output channels.
// path: features.1
// sizes: 32 64
// message: num_features
#include <typenet/typenet.hpp>

using namespace typenet;
using Broken = Sequential<Named<"features", Sequential<Conv2d<1, 64, 3>, BatchNorm2d<32>, ReLU>>>;
Model<Broken, Input<1, 10, 10>> model;
