// output_padding 2 with stride 2 and dilation 1: PyTorch refuses it, and so does typenet.
// message: ConvTranspose2d: output_padding must be smaller than the stride or the dilation
#include <typenet/typenet.hpp>

using namespace typenet;
Model<Sequential<ConvTranspose2d<1, 1, 3, stride<2>, output_padding<2>>>, Input<1, 4, 4>> model;
