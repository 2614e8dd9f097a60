#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <type_traits>

#include <typenet/layers/embedding.hpp>
#include <typenet/model.hpp>

using namespace typenet;

static_assert(Embedding<10, 4>::infer({7}).output == shape{7, 4});
static_assert(Embedding<10, 4>::infer({2, 3}).output == shape{2, 3, 4}, "any shape of ids, one row each");
static_assert(Embedding<10, 4>::state.size() == 1 && Embedding<10, 4>::state[0].shape == shape{10, 4});
static_assert(Embedding<10, 4>::state[0].name == "weight");
static_assert(!Embedding<10, 4>::has_padding_idx && Embedding<10, 4, padding_idx<3>>::padding_index == 3);
static_assert(Embedding<10, 4, padding_idx<-1>>::padding_index == 9, "negative counts from the end, as PyTorch");
static_assert(!Embedding<10, 4>::sample_wise, "it may throw, so a batch is never split across threads");

using Int64Model = Model<Embedding<4, 3>, Tokens<5>>;
using Int32Model = Model<Embedding<4, 3>, TokensOf<std::int32_t, 5>>;
static_assert(std::is_same_v<Int64Model::input_type, Tensor<std::int64_t, 5>>);
static_assert(std::is_same_v<Int32Model::input_type, Tensor<std::int32_t, 5>>);
static_assert(std::is_same_v<Int64Model::batch_input_type<2>, Tensor<std::int64_t, 2, 5>>);
static_assert(Int64Model::output_shape == shape{5, 3});

namespace {
// weight[r] = [10 r, 10 r + 1, 10 r + 2]
template <class M>
std::unique_ptr<M> numbered_rows() {
    auto m = std::make_unique<M>();
    auto w = m->template at<"weight">();
    for (std::size_t i = 0; i < w.size(); ++i) w[i] = float(i / 3 * 10 + i % 3);
    return m;
}

template <class M>
std::string error_of(M& m, const typename M::input_type& ids) {
    try {
        m.forward(ids);
    } catch (const typenet::error& e) {
        return e.what();
    }
    return "no error";
}
}  // namespace

TEST_CASE("Embedding reads row id of the weight for every id, from int64, int32 or whole floats") {
    auto m64 = numbered_rows<Int64Model>();
    const Int64Model::output_type y = m64->forward(Int64Model::input_type{3, 0, 0, 2, 1});
    const float expected[15] = {30, 31, 32, 0, 1, 2, 0, 1, 2, 20, 21, 22, 10, 11, 12};
    for (std::size_t i = 0; i < 15; ++i) CHECK(y[i] == expected[i]);

    auto m32 = numbered_rows<Int32Model>();
    CHECK(m32->forward(Int32Model::input_type{1, 1, 1, 1, 3})[14] == 32);

    using FloatModel = Model<Embedding<4, 3>, Input<2>>;
    auto mf = numbered_rows<FloatModel>();
    CHECK(mf->forward(FloatModel::input_type{2, 1})[5] == 12);
}

TEST_CASE("Embedding: padding_idx changes nothing at inference: its row is read as it is") {
    using M = Model<Embedding<4, 3, padding_idx<0>>, Tokens<2>>;
    auto m = numbered_rows<M>();
    const M::output_type y = m->forward(M::input_type{0, 1});
    CHECK(y[1] == 1);  // PyTorch's forward reads the padding row too (it is zero only when initialised)
}

TEST_CASE("Embedding: an id out of range is an error naming the sample, the index and the id; nothing is written") {
    auto m = numbered_rows<Int64Model>();
    Int64Model::output_type out;
    for (float& v : out) v = -1;
    CHECK_THROWS_AS(m->forward(Int64Model::input_type{0, 1, 4, 2, 3}, out), typenet::error);
    for (float v : out) CHECK(v == -1);  // checked before anything is computed
    CHECK(error_of(*m, {0, 1, 4, 2, 3}) ==
          "typenet: Embedding: token id 4 at sample 0, index 2 is out of range: ids must be whole numbers from 0 to "
          "num_embeddings - 1 = 3");
    // Negative ids, and ids float cannot hold exactly, are refused by the model before the network sees them.
    CHECK(error_of(*m, {0, 0, 0, 0, -1}) ==
          "typenet: token id -1 at sample 0, index 4 of the input is out of range: ids index an Embedding's rows, "
          "from 0");
    CHECK(error_of(*m, {std::int64_t(1) << 40, 0, 0, 0, 0}).find("token id 1099511627776 at sample 0, index 0") !=
          std::string::npos);

    // A batch: the sample is counted.
    auto batch_in = std::make_unique<Int64Model::batch_input_type<1>>();
    auto batch_out = std::make_unique<Int64Model::batch_output_type<1>>();
    for (auto& id : *batch_in) id = 1;
    (*batch_in)[3] = 7;
    CHECK_THROWS_WITH(m->forward(*batch_in, *batch_out), Catch::Contains("token id 7 at sample 0, index 3"));

    // Float ids must be whole numbers.
    using FloatModel = Model<Embedding<4, 3>, Input<2>>;
    auto mf = std::make_unique<FloatModel>();
    CHECK_THROWS_WITH(mf->forward(FloatModel::input_type{1, 1.5f}),
                      Catch::Contains("token id 1.500000 at sample 0, index 1"));
    CHECK_THROWS_WITH(mf->forward(FloatModel::input_type{NAN, 1}), Catch::Contains("index 0 is out of range"));
}
