// An LSTM declared for 6 features after a Linear that gives 8.
// path: 1
// sizes: 6 8
// message: recurrent layers: input_size
#include <typenet/typenet.hpp>

using namespace typenet;
using Broken = Sequential<Linear<4, 8>, LSTM<6, 16>, LastStep>;
Model<Broken, Input<100, 4>> model;
