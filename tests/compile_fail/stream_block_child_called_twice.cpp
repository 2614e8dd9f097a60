// A Block that calls one child twice (weight sharing) in a Stream: each call site of a causal
// convolution would need its own history, and the Block has one child. Position 0, called twice.
// path: tcn
// sizes: 0 2
// message: Stream: this Block calls one child
#include <typenet/typenet.hpp>

using namespace typenet;
using Shared = Block<Named<"conv", Sequential<ConstantPad1d<2, 0>, Conv1d<4, 4, 3>>>,
                     Forward<Add<Identity, Call<"conv", "conv">>>>;
Stream<Sequential<Linear<4, 4>, Named<"tcn", Shared>>, Input<4>> stream;
