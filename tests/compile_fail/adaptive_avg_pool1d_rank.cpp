// AdaptiveAvgPool1d on images.
// path: 0
// sizes: 2 3
// message: AdaptiveAvgPool1d: takes a per-sample input [C, L] of rank 2
#include <typenet/typenet.hpp>

using namespace typenet;
Model<Sequential<AdaptiveAvgPool1d<2>>, Input<1, 8, 8>> model;
