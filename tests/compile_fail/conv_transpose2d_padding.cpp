// A transposed convolution whose padding crops away its whole output: kernel 3 over one row gives
// 3 rows, padding 2 takes 4.
// path: up
// sizes: 4 3
// message: ConvTranspose2d: the padding taken off the output's height
#include <typenet/typenet.hpp>

using namespace typenet;
Model<Sequential<Named<"up", ConvTranspose2d<1, 1, 3, padding<2>>>>, Input<1, 1, 5>> model;
