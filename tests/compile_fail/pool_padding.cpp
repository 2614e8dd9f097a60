// MaxPool2d(3, padding=2): PyTorch allows at most half the kernel (1).
// path: pool
// sizes: 2 1
// message: padding
#include <typenet/typenet.hpp>

using namespace typenet;
Model<Sequential<Named<"pool", MaxPool2d<3, padding<2>>>>, Input<1, 9, 9>> model;
