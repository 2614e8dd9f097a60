// A MultiheadAttention of embed_dim 32 after a Linear giving 24 features per position.
// path: encoder.attn
// sizes: 32 24
// message: MultiheadAttention: the input's features (second number) must equal embed_dim (first number)
#include <typenet/typenet.hpp>

using namespace typenet;
using Encoder = Sequential<Linear<16, 24>, Named<"attn", MultiheadAttention<32, 4>>>;
Model<Sequential<Named<"encoder", Encoder>>, Input<10, 16>> model;
