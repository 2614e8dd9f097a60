// Gradients of MultiheadAttention, TransformerEncoderLayer and TransformerEncoder against
// torch.autograd (training_support.hpp); the cases are reference/training_attention.py's GRADIENTS.
#include "training_support.hpp"

namespace {
using namespace typenet;
using namespace training;

using MhaNet = Sequential<Linear<8, 8>, MultiheadAttention<8, 2>>;
using MhaCausalNet = Sequential<Linear<8, 8>, MultiheadAttention<8, 2, bias<false>, causal<true>, batch_first<true>>,
                                Flatten, Linear<32, 3>>;

}  // namespace

TEST_CASE("gradients of MultiheadAttention equal torch.autograd's") {
    check_case<MhaNet, Input<4, 8>, 2>("mha", {loss_kind::mse}, true);
    check_case<MhaNet, Input<4, 8>, 2>("mha_frozen", {loss_kind::mse}, true, {"1"});
    check_case<MhaCausalNet, Input<4, 8>, 2>("mha_causal_no_bias", {loss_kind::cross_entropy}, true);
}
