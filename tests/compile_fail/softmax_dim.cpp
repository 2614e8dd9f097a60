// Softmax<3> on a per-sample [10]: with the batch, the input has 2 dimensions, 0 and 1.
// path: head.1
// sizes: 3 2
// message: Softmax/LogSoftmax: dim (first number
#include <typenet/typenet.hpp>

using namespace typenet;
Model<Sequential<Named<"head", Sequential<Linear<4, 10>, Softmax<3>>>>, Input<4>> model;
