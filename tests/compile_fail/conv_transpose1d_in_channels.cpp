// A ConvTranspose1d expecting 4 channels gets 3.
// path: 0
// sizes: 4 3
// message: ConvTranspose1d: in_channels (first number) must equal the channels of its input
#include <typenet/typenet.hpp>

using namespace typenet;
Model<Sequential<ConvTranspose1d<4, 2, 3>>, Input<3, 10>> model;
