// A forward call without the key padding mask that the network's encoder takes (key_padding_mask<true>).
// message: this network has a layer with key_padding_mask<true>, so pass the mask too
#include <typenet/typenet.hpp>

using namespace typenet;
using M = Model<TransformerEncoder<TransformerEncoderLayer<16, 2, 32>, 2, key_padding_mask<true>>, Input<10, 16>>;
void run(M& model, const M::input_type& x, M::output_type& y) { model.forward(x, y); }
