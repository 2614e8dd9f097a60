// Padding 2 with kernel_size 3: PyTorch's max_pool1d refuses it whatever the dilation.
// path: pool
// sizes: 2 1
// message: MaxPool1d: padding (first number) must be at most half of kernel_size
#include <typenet/typenet.hpp>

using namespace typenet;
Model<Sequential<Named<"pool", MaxPool1d<3, padding<2>, dilation<2>>>>, Input<4, 20>> model;
