// groups=4 does not divide out_channels=6.
// path: 0
// sizes: 4 6
// message: out_channels (second number) must be divisible by groups
#include <typenet/typenet.hpp>

using namespace typenet;
Model<Sequential<Conv2d<8, 6, 3, groups<4>>>, Input<8, 9, 9>> model;
