// A Conv1d with padding 1 in a Stream: a step sees no future input, so only padding 0 steps.
// path: encoder.1
// sizes: 0 1
// message: Conv1d: steps only with padding 0
#include <typenet/typenet.hpp>

using namespace typenet;
using Net = Sequential<Named<"encoder", Sequential<Linear<2, 4>, Conv1d<4, 4, 3, padding<1>>>>>;
Stream<Net, Input<2>> stream;
