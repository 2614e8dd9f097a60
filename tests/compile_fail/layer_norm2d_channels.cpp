// LayerNorm2d<C> normalises the C channels of each pixel: here 16 for a convolution's 8.
// path: stem.1
// sizes: 16 8
// message: LayerNorm2d: its channels (first number) must equal the channels of its input
#include <typenet/typenet.hpp>

using namespace typenet;
Model<Sequential<Named<"stem", Sequential<Conv2d<3, 8, 4, stride<4>>, LayerNorm2d<16>>>>, Input<3, 32, 32>> model;
