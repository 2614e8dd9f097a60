// Three 2x2 poolings take 8x8 to 1x1; a fourth 3x3 window does not fit in a 1x1 input.
// path: features.3
// sizes: 3 1
// message: kernel's height
#include <typenet/typenet.hpp>

using namespace typenet;
using Broken = Sequential<Named<"features", Sequential<MaxPool2d<2>, MaxPool2d<2>, AvgPool2d<2>, MaxPool2d<3>>>>;
Model<Broken, Input<3, 8, 8>> model;
