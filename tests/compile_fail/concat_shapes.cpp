// Branches of a Concat whose outputs differ in height: a 3x3 convolution without padding.
// path: fire
// shapes: 8,6,6 8,4,4
// message: Cat: two operands
#include <typenet/typenet.hpp>

using namespace typenet;
Model<Sequential<Named<"fire", Concat<Conv2d<4, 8, 1>, Conv2d<4, 8, 3>>>>, Input<4, 6, 6>> model;
