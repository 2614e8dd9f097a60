// GroupNorm<groups, C> must see C channels: here 32 for a convolution's 16.
// path: 1
// sizes: 32 16
// message: GroupNorm: num_channels (first number) must equal the channels of its input
#include <typenet/typenet.hpp>

using namespace typenet;
Model<Sequential<Conv2d<3, 16, 3>, GroupNorm<4, 32>>, Input<3, 8, 8>> model;
