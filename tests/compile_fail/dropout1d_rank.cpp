// Dropout1d takes [C] or [C, L] per sample, as PyTorch: here an image [4, 6, 6].
// path: 1
// sizes: 2 3
// message: Dropout1d: takes [C] or [C, L] per sample
#include <typenet/typenet.hpp>

using namespace typenet;
Model<Sequential<Conv2d<3, 4, 3>, Dropout1d<"0.1">>, Input<3, 8, 8>> model;
