// A 5x5 kernel on a 4x4 input without padding: the output would be empty.
// path: 2
// sizes: 5 4
// message: kernel's height
#include <typenet/typenet.hpp>

using namespace typenet;
using Broken = Sequential<Conv2d<1, 8, 3>, ReLU, Conv2d<8, 8, 5>>;
Model<Broken, Input<1, 6, 6>> model;
