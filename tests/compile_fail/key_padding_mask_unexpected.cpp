// A key padding mask passed to a network that has no layer taking one.
// message: this network has no layer with key_padding_mask<true>, so call forward(input, output) without a mask
#include <typenet/typenet.hpp>

using namespace typenet;
using M = Model<TransformerEncoder<TransformerEncoderLayer<16, 2, 32>, 2>, Input<10, 16>, float, 2>;
void run(M& model, const M::batch_input_type<2>& x, M::batch_output_type<2>& y) { model.forward(x, y, {10, 4}); }
