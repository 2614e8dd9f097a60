// Two layers taking the key padding mask over sequences of different lengths (5 positions, then 3):
// a forward call carries one mask.
// message: the layers with key_padding_mask<true> get sequences of different lengths
#include <typenet/typenet.hpp>

using namespace typenet;
using Padded = MultiheadAttention<8, 2, key_padding_mask<true>>;
Model<Sequential<Padded, Narrow<1, 0, 3>, Padded>, Input<5, 8>> model;
