// A convolution fed a flat vector: Conv2d takes [C, H, W].
// path: 1
// sizes: 3 1
// message: rank
#include <typenet/typenet.hpp>

using namespace typenet;
Model<Sequential<Linear<784, 784>, Conv2d<1, 8, 3>>, Input<784>> model;
