// A slice that runs past the end of its dimension: channels 4 to 8 of 6.
// path: split
// sizes: 8 6
// message: Narrow: start + length
#include <typenet/typenet.hpp>

using namespace typenet;
Model<Sequential<Conv2d<3, 6, 1>, Named<"split", Narrow<1, 4, 4>>>, Input<3, 5, 5>> model;
