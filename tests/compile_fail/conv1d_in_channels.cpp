// The second Conv1d expects 16 channels, the first gives 8.
// path: encoder.2
// sizes: 16 8
// message: Conv1d: in_channels (first number) must equal the channels of its input
#include <typenet/typenet.hpp>

using namespace typenet;
using Broken = Sequential<Named<"encoder", Sequential<Conv1d<1, 8, 3>, ReLU, Conv1d<16, 8, 3>>>>;
Model<Broken, Input<1, 20>> model;
