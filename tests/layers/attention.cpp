#include <catch2/catch.hpp>

#include <array>
#include <cmath>
#include <memory>
#include <string_view>

#include <typenet/combinators/sequential.hpp>
#include <typenet/layers/embedding.hpp>
#include <typenet/layers/mean.hpp>
#include <typenet/layers/transformer.hpp>
#include <typenet/model.hpp>

using namespace typenet;

// MultiheadAttention: PyTorch 1.13's state_dict, bias or not.
using Attn = MultiheadAttention<8, 2>;
static_assert(Attn::state.size() == 4 && Attn::head_dim == 4);
static_assert(Attn::state[0].name == "in_proj_weight" && Attn::state[0].shape == shape{24, 8});
static_assert(Attn::state[1].name == "in_proj_bias" && Attn::state[1].shape == shape{24});
static_assert(Attn::state[2].name == "out_proj.weight" && Attn::state[2].shape == shape{8, 8});
static_assert(Attn::state[3].name == "out_proj.bias" && Attn::state[3].shape == shape{8});
static_assert(MultiheadAttention<8, 2, bias<false>>::state.size() == 2);
static_assert(MultiheadAttention<8, 2, bias<false>>::state[1].name == "out_proj.weight");
static_assert(Attn::infer({5, 8}).output == shape{5, 8});
static_assert(!Attn::infer({5, 7}).ok() && Attn::infer({5, 7}).expected == 8 && Attn::infer({5, 7}).actual == 7);
static_assert(!Attn::infer({8}).ok() && !Attn::infer({2, 5, 8}).ok(), "a sequence [S, E] per sample");

// TransformerEncoderLayer: the keys of nn.TransformerEncoderLayer(8, 2, 16).state_dict() in torch 1.13.
using EncLayer = TransformerEncoderLayer<8, 2, 16>;
constexpr std::array<std::string_view, 12> layer_keys{
    "self_attn.in_proj_weight", "self_attn.in_proj_bias", "self_attn.out_proj.weight", "self_attn.out_proj.bias",
    "linear1.weight",           "linear1.bias",           "linear2.weight",            "linear2.bias",
    "norm1.weight",             "norm1.bias",             "norm2.weight",              "norm2.bias"};
using LayerModel = Model<EncLayer, Input<5, 8>>;
static_assert(LayerModel::state_dict.size() == 12 && LayerModel::output_shape == shape{5, 8});
static_assert([] {
    for (std::size_t i = 0; i < 12; ++i)
        if (LayerModel::state_dict[i].key != layer_keys[i]) return false;
    return true;
}());
static_assert(LayerModel::entry("linear1.weight").shape == shape{16, 8});
static_assert(LayerModel::module("self_attn").type_name == "MultiheadAttention");
static_assert(LayerModel::modules[0].type_name == "TransformerEncoderLayer");

// TransformerEncoder: layers.N.*, then norm.* when there is a final norm.
using WithNorm = Model<TransformerEncoder<EncLayer, 3, final_norm<LayerNorm<8>>>, Input<5, 8>>;
using WithoutNorm = Model<TransformerEncoder<EncLayer, 2>, Input<5, 8>>;
static_assert(WithNorm::state_dict.size() == 38 && WithoutNorm::state_dict.size() == 24);
static_assert(WithNorm::state_dict[24].key == "layers.2.self_attn.in_proj_weight");
static_assert(WithNorm::state_dict[36].key == "norm.weight" && WithNorm::state_dict[37].key == "norm.bias");
static_assert(WithoutNorm::state_dict[23].key == "layers.1.norm2.bias");

// Mean over positions: the pooling of a sequence classifier.
static_assert(Mean<1>::infer({6, 8}).output == shape{8} && Mean<-1>::infer({6, 8}).output == shape{6});
static_assert(Mean<2>::infer({3, 4, 5}).output == shape{3, 5});
static_assert(!Mean<3>::infer({6, 8}).ok() && !Mean<1>::infer({6}).ok());

TEST_CASE("Mean averages over one dimension") {
    using M = Model<Mean<1>, Input<3, 2>>;
    auto m = std::make_unique<M>();
    const M::output_type y = m->forward(M::input_type{1, 10, 2, 20, 6, 60});
    CHECK(y[0] == 3);
    CHECK(y[1] == 30);
}

// One head over [S, 2] with every projection the identity and no bias: q = k = v = x, scores
// x_i . x_j / sqrt(2), and the output of position i is sum_j softmax_j(scores) x_j.
TEST_CASE("MultiheadAttention: softmax(q k^T / sqrt(head_dim)) v, and the causal mask") {
    const auto run = []<class M>(std::unique_ptr<M> m) {
        auto in_proj = m->template at<"in_proj_weight">();   // [6, 2]: three identities one under the other
        auto out_proj = m->template at<"out_proj.weight">();  // [2, 2]
        for (std::size_t r = 0; r < 6; ++r) in_proj[r * 2 + r % 2] = 1;
        out_proj[0] = out_proj[3] = 1;
        return m->forward(typename M::input_type{1, 0, 0, 1});  // x0 = [1, 0], x1 = [0, 1]
    };
    const double e = std::exp(1 / std::sqrt(2.0));  // exp of the score of a position with itself; 1 with the other
    const double p = e / (e + 1);
    using Full = Model<MultiheadAttention<2, 1, bias<false>>, Input<2, 2>>;
    const Full::output_type y = run(std::make_unique<Full>());
    CHECK(y[0] == Approx(p));      // x0 attends p to itself, 1 - p to x1
    CHECK(y[1] == Approx(1 - p));
    CHECK(y[2] == Approx(1 - p));
    CHECK(y[3] == Approx(p));

    using Causal = Model<MultiheadAttention<2, 1, bias<false>, causal<true>>, Input<2, 2>>;
    const Causal::output_type c = run(std::make_unique<Causal>());
    CHECK(c[0] == 1);  // position 0 sees only itself
    CHECK(c[1] == 0);
    CHECK(c[2] == Approx(1 - p));  // position 1 sees both
    CHECK(c[3] == Approx(p));
}

// key_padding_mask<true>: the Model takes a mask per call, over the positions the masked layers get.
using Padded = MultiheadAttention<8, 2, key_padding_mask<true>>;
static_assert(Padded::reads_key_padding_mask && !Padded::sample_wise && Attn::sample_wise);
using PaddedModel = Model<Padded, Input<5, 8>>;
static_assert(PaddedModel::takes_key_padding_mask && PaddedModel::key_padding_positions == 5);
static_assert(!LayerModel::takes_key_padding_mask && LayerModel::key_padding_positions == 0);
// TransformerEncoder's option reaches every layer's self-attention, as src_key_padding_mask does.
using PaddedEncoder = TransformerEncoder<EncLayer, 2, key_padding_mask<true>>;
static_assert(Model<PaddedEncoder, Input<5, 8>>::takes_key_padding_mask);
static_assert(Model<PaddedEncoder, Input<5, 8>>::module("layers.1.self_attn").type_name == "MultiheadAttention");
static_assert(TransformerEncoderLayer<8, 2, 16, key_padding_mask<true>>::key_padding && !EncLayer::key_padding);
using PaddedMean = Mean<1, key_padding_mask<true>>;
static_assert(Model<Sequential<PaddedEncoder, PaddedMean>, Input<5, 8>>::key_padding_positions == 5);
static_assert(!Mean<-1, key_padding_mask<true>>::infer({6, 8}).ok() && Mean<-2, key_padding_mask<true>>::infer({6, 8}).ok());

// The identity projections of the test above, over a batch of two samples.
template <class M>
std::unique_ptr<M> identity_attention() {
    auto m = std::make_unique<M>();
    auto in_proj = m->template at<"in_proj_weight">();
    auto out_proj = m->template at<"out_proj.weight">();
    for (std::size_t r = 0; r < 6; ++r) in_proj[r * 2 + r % 2] = 1;
    out_proj[0] = out_proj[3] = 1;
    return m;
}

TEST_CASE("MultiheadAttention with key_padding_mask: padded keys get no attention, per sample") {
    using M = Model<MultiheadAttention<2, 1, bias<false>, key_padding_mask<true>>, Input<2, 2>, float, 2>;
    auto m = identity_attention<M>();
    const M::batch_input_type<2> x{1, 0, 0, 1, 1, 0, 0, 1};  // both samples: x0 = [1, 0], x1 = [0, 1]
    const double e = std::exp(1 / std::sqrt(2.0)), p = e / (e + 1);
    const auto check = [&](const M::batch_output_type<2>& y) {
        CHECK(y[0] == Approx(p));  // sample 0 has no padding: as without a mask
        CHECK(y[1] == Approx(1 - p));
        CHECK(y[2] == Approx(1 - p));
        CHECK(y[3] == Approx(p));
        CHECK(y[4] == 1);  // sample 1's key 1 is padding: both positions attend to x0 only
        CHECK(y[5] == 0);
        CHECK(y[6] == 1);
        CHECK(y[7] == 0);
    };
    M::batch_output_type<2> y{};
    m->forward(x, y, M::batch_key_padding_mask_type<2>{false, false, false, true});
    check(y);
    CHECK(detail::current_key_padding.mask == nullptr);  // the call's mask is gone after it
    y = {};
    m->forward(x, y, {2, 1});  // the same as valid lengths
    check(y);
    CHECK_THROWS_WITH(m->forward(x, y, {2, 3}), Catch::Contains("valid length 3 of sample 1 exceeds the 2 positions"));

    // All keys padding: NaN, as PyTorch's softmax over nothing but -inf.
    m->forward(x, y, {2, 0});
    CHECK(std::isnan(y[4]));
    CHECK(y[0] == Approx(p));

    // Causal and padding together: position 0 of a sample whose key 0 is padding sees nothing (NaN,
    // as PyTorch); position 1 sees only itself.
    using C = Model<MultiheadAttention<2, 1, bias<false>, causal<true>, key_padding_mask<true>>, Input<2, 2>>;
    auto c = identity_attention<C>();
    C::output_type z{};
    c->forward(C::input_type{1, 0, 0, 1}, z, C::key_padding_mask_type{true, false});
    CHECK(std::isnan(z[0]));
    CHECK(z[2] == 0);
    CHECK(z[3] == 1);
}

TEST_CASE("Mean with key_padding_mask averages the valid positions only") {
    using M = Model<Mean<1, key_padding_mask<true>>, Input<3, 2>, float, 2>;
    auto m = std::make_unique<M>();
    M::batch_output_type<2> y{};
    m->forward(M::batch_input_type<2>{1, 10, 2, 20, 6, 60, 1, 10, 2, 20, 6, 60}, y,
               M::batch_key_padding_mask_type<2>{false, true, false, false, false, true});
    CHECK(y[0] == Approx(3.5));  // (1 + 6) / 2
    CHECK(y[1] == Approx(35));
    CHECK(y[2] == Approx(1.5));  // (1 + 2) / 2
    CHECK(y[3] == Approx(15));
}

TEST_CASE("The key padding mask is cleared when a forward call throws") {
    using M = Model<Sequential<Embedding<4, 2>, MultiheadAttention<2, 1, key_padding_mask<true>>>, Tokens<2>>;
    auto m = std::make_unique<M>();
    M::output_type y{};
    CHECK_THROWS_WITH(m->forward(M::input_type{1, 9}, y, std::size_t(1)), Catch::Contains("token id 9"));
    CHECK(detail::current_key_padding.lengths == nullptr);
}
