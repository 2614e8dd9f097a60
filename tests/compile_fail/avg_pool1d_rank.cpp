// AvgPool1d after a Conv2d: it takes [C, L], it gets [C, H, W].
// path: 1
// sizes: 2 3
// message: AvgPool1d: takes a per-sample input [C, L] of rank 2
#include <typenet/typenet.hpp>

using namespace typenet;
Model<Sequential<Conv2d<1, 4, 3>, AvgPool1d<2>>, Input<1, 8, 8>> model;
