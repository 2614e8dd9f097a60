// LayerNorm's normalized_shape must be the input's last dimensions: here [8] for an input [3, 6].
// path: norm
// shapes: 8 3,6
// message: LayerNorm: the input's last dimensions (second shape, per sample) must equal normalized_shape
#include <typenet/typenet.hpp>

using namespace typenet;
Model<Sequential<Linear<4, 6>, Named<"norm", LayerNorm<8>>>, Input<3, 4>> model;
