// AdaptiveMaxPool2d after a Conv1d: it takes [C, H, W], it gets [C, L].
// path: head.1
// sizes: 3 2
// message: AdaptiveMaxPool2d: takes a per-sample input [C, H, W] of rank 3
#include <typenet/typenet.hpp>

using namespace typenet;
Model<Sequential<Named<"head", Sequential<Conv1d<2, 4, 3>, AdaptiveMaxPool2d<2>>>>, Input<2, 16>> model;
