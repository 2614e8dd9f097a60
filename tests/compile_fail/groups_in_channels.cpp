// groups=4 does not divide in_channels=6.
// path: body.conv
// sizes: 4 6
// message: divisible by groups
#include <typenet/typenet.hpp>

using namespace typenet;
using Broken = Sequential<Named<"body", Sequential<Named<"conv", Conv2d<6, 8, 3, groups<4>>>>>>;
Model<Broken, Input<6, 9, 9>> model;
