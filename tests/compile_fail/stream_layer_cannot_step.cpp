// A Softmax in a Stream: it does not say it can run one step at a time (dim counts the batched
// tensor's dimensions, and a step has no time axis, so it could normalise over another one).
// path: head
// message: Stream: this layer cannot run one time step at a time
#include <typenet/typenet.hpp>

using namespace typenet;
Stream<Sequential<Linear<4, 8>, Named<"head", Softmax<-1>>>, Input<4>> stream;
