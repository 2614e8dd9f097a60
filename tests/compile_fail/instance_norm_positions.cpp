// InstanceNorm without running statistics needs at least 2 positions per channel, as PyTorch:
// here a [6, 1] sample (one position per channel).
// path: norm
// sizes: 2 1
// message: InstanceNorm: without running statistics it needs at least 2 positions per channel
#include <typenet/typenet.hpp>

using namespace typenet;
Model<Sequential<Linear<4, 1>, Named<"norm", InstanceNorm1d<6>>>, Input<6, 4>> model;
