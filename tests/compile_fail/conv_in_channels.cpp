// The second convolution expects 16 channels, the first gives 32.
// path: features.3
// sizes: 16 32
// message: Conv2d: in_channels
#include <typenet/typenet.hpp>

using namespace typenet;
using Broken = Sequential<Named<"features", Sequential<Conv2d<1, 32, 3, padding<1>>, ReLU, MaxPool2d<2>,
                                                       Conv2d<16, 64, 3, padding<1>>, ReLU>>>;
static_assert(Model<Broken, Input<1, 28, 28>>::parameter_count > 0);
