#include <catch2/catch.hpp>

#include <array>
#include <cmath>
#include <memory>
#include <string_view>

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
