// InstanceNorm2d<num_features> must see num_features channels: here 8 for a convolution's 4.
// path: 1
// sizes: 8 4
// message: InstanceNorm: num_features (first number) must equal the channels of its input
#include <typenet/typenet.hpp>

using namespace typenet;
Model<Sequential<Conv2d<3, 4, 3>, InstanceNorm2d<8, affine<true>>>, Input<3, 8, 8>> model;
