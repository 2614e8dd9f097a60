// RNN, LSTM, GRU and LastStep: shapes and state_dict keys as PyTorch's, their own shape rules, and
// the streaming step (detail/recurrent.hpp) giving exactly the whole-sequence outputs. Parity with
// PyTorch's values is parity_recurrent.cpp's.
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <memory>
#include <vector>

#include <typenet/layers/gru.hpp>
#include <typenet/layers/last_step.hpp>
#include <typenet/layers/lstm.hpp>
#include <typenet/layers/rnn.hpp>
#include <typenet/model.hpp>

using namespace typenet;

// Output shapes: output [T, D * H_out], h_n [D * num_layers, H_out], c_n [D * num_layers, H].
static_assert(RNN<3, 5>::infer({7, 3}).output == shape{7, 5});
static_assert(GRU<3, 5, bidirectional<true>>::infer({7, 3}).output == shape{7, 10});
static_assert(LSTM<3, 5, proj_size<2>, bidirectional<true>>::infer({7, 3}).output == shape{7, 4});
static_assert(LSTM<3, 5, proj_size<2>, num_layers<3>, returns<"h_n">>::infer({7, 3}).output == shape{3, 2});
static_assert(LSTM<3, 5, proj_size<2>, num_layers<3>, returns<"c_n">>::infer({7, 3}).output == shape{3, 5});
static_assert(GRU<3, 5, num_layers<2>, bidirectional<true>, returns<"h_n">>::infer({7, 3}).output == shape{4, 5});
static_assert(LastStep::infer({7, 3}).output == shape{3} && LastStep::infer({7, 3, 2}).output == shape{3, 2});

// state_dict as nn.LSTM(3, 5, num_layers=2, bidirectional=True, proj_size=2).state_dict() lists it.
using Lstm = LSTM<3, 5, num_layers<2>, bidirectional<true>, proj_size<2>>;
constexpr std::array<std::string_view, 20> lstm_keys = {
    "weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0", "weight_hr_l0",
    "weight_ih_l0_reverse", "weight_hh_l0_reverse", "bias_ih_l0_reverse", "bias_hh_l0_reverse", "weight_hr_l0_reverse",
    "weight_ih_l1", "weight_hh_l1", "bias_ih_l1", "bias_hh_l1", "weight_hr_l1",
    "weight_ih_l1_reverse", "weight_hh_l1_reverse", "bias_ih_l1_reverse", "bias_hh_l1_reverse", "weight_hr_l1_reverse"};
static_assert([] {
    if (Lstm::state.size() != lstm_keys.size()) return false;
    for (std::size_t i = 0; i < lstm_keys.size(); ++i)
        if (Lstm::state[i].name != lstm_keys[i]) return false;
    return true;
}());
// Gates stacked along the rows (i, f, g, o); layer 1 reads both directions' projected outputs.
static_assert(Lstm::state[0].shape == shape{20, 3} && Lstm::state[1].shape == shape{20, 2});
static_assert(Lstm::state[4].shape == shape{2, 5} && Lstm::state[10].shape == shape{20, 4});
static_assert(GRU<3, 5, bias<false>, num_layers<12>>::state[22].name == "weight_ih_l11");
static_assert(GRU<3, 5>::state[2].shape == shape{15} && RNN<3, 5>::state[0].shape == shape{5, 3});

// Its own rules, with the two sizes.
constexpr bool fails(shape_check c, std::string_view starts, std::size_t expected, std::size_t actual) {
    return c.rule == shape_error::rule::custom && c.message.starts_with(starts) && c.expected == expected &&
           c.actual == actual;
}
static_assert(fails(GRU<3, 5>::infer({7, 4}), "recurrent layers: input_size", 3, 4));
static_assert(fails(GRU<3, 5>::infer({3}), "recurrent layers (RNN, LSTM, GRU) take", 2, 1));
static_assert(fails(LastStep::infer({3}), "LastStep", 2, 1));
// Streaming: one step is [input_size] -> [H_out]; bidirectional layers and returns<"h_n"> refuse.
static_assert(LSTM<3, 5, proj_size<2>>::step_infer({3}).output == shape{2});
static_assert(LSTM<3, 5, num_layers<2>>::step_state_size<float, shape{3}>() == 20);
static_assert(GRU<3, 5, num_layers<2>>::step_state_size<float, shape{3}>() == 10);
static_assert(fails(GRU<3, 5, bidirectional<true>>::step_infer({3}), "a bidirectional recurrent layer", 0, 1));
static_assert(fails(GRU<3, 5, returns<"h_n">>::step_infer({3}), "a recurrent layer streams", 0, 1));

namespace {

// Every parameter a deterministic value in [-0.5, 0.5), scaled down for wide inputs.
template <class M>
void fill(M& model) {
    std::uint32_t seed = 12345;
    for (const state_entry& e : M::state_dict) {
        float* p = reinterpret_cast<float*>(model.bytes(e).data());
        for (std::size_t i = 0; i < e.numel; ++i) {
            seed = seed * 1664525u + 1013904223u;
            p[i] = (float(seed >> 8) / float(1u << 24) - 0.5f) * (e.shape.rank == 2 ? 4.0f / float(e.shape[1]) : 1.0f);
        }
    }
}

// Runs the layer over T steps both ways: the Model on [T, F] and the streaming step from a zero
// state; the outputs must be the same bits.
template <class Layer, std::size_t T, std::size_t F>
void check_step_equals_sequence() {
    using M = Model<Layer, Input<T, F>>;
    auto model = std::make_unique<M>();
    fill(*model);
    auto x = std::make_unique<typename M::input_type>();
    for (std::size_t i = 0; i < x->size; ++i) (*x)[i] = float(int(i * 37 % 101) - 50) / 25.0f;
    const auto y = std::make_unique<typename M::output_type>(model->forward(*x));

    constexpr shape step_in{F};
    constexpr std::size_t out_size = Layer::step_infer(step_in).output.numel();
    std::vector<float> state(Layer::template step_state_size<float, step_in>(), 0.0f);
    std::vector<float> stepped(T * out_size);
    for (std::size_t t = 0; t < T; ++t)
        Layer::template step<float, step_in>(layer_params<Layer, float>{model->state().data()}, state.data(),
                                             x->data() + t * F, stepped.data() + t * out_size);
    REQUIRE(stepped.size() == y->size);
    CHECK(std::memcmp(stepped.data(), y->data(), stepped.size() * sizeof(float)) == 0);
    float last = 0;  // the last step is not all zeros
    for (std::size_t i = 0; i < out_size; ++i) last = std::max(last, std::abs(stepped[(T - 1) * out_size + i]));
    CHECK(last > 1e-3f);
}

}  // namespace

TEST_CASE("recurrent layers: the streaming step gives exactly the whole-sequence outputs") {
    check_step_equals_sequence<RNN<4, 6>, 120, 4>();
    check_step_equals_sequence<RNN<4, 6, nonlinearity<"relu">, num_layers<2>>, 120, 4>();
    check_step_equals_sequence<GRU<32, 32>, 150, 32>();
    check_step_equals_sequence<GRU<3, 19, num_layers<3>, bias<false>>, 110, 3>();
    check_step_equals_sequence<LSTM<5, 20>, 130, 5>();
    check_step_equals_sequence<LSTM<5, 20, num_layers<2>, proj_size<7>>, 130, 5>();
    // Hidden size 64 and more: input products apart, for blocks of 16 steps in the whole sequence
    // (101 steps: six blocks and a rest of 5).
    check_step_equals_sequence<GRU<24, 64, num_layers<2>>, 101, 24>();
    check_step_equals_sequence<LSTM<16, 64, bias<false>>, 101, 16>();
}

TEST_CASE("recurrent layers: h_n and c_n are the last states of each direction") {
    // A bidirectional layer's forward direction ends at step T - 1, its reverse direction at step 0.
    constexpr std::size_t T = 100, H = 6;
    using Out = Model<LSTM<4, H, bidirectional<true>>, Input<T, 4>>;
    using Hn = Model<LSTM<4, H, bidirectional<true>, returns<"h_n">>, Input<T, 4>>;
    auto out = std::make_unique<Out>();
    auto h_n = std::make_unique<Hn>();
    fill(*out);
    fill(*h_n);
    Out::input_type x;
    for (std::size_t i = 0; i < x.size; ++i) x[i] = float(int(i * 13 % 17) - 8) / 4.0f;
    const auto y = out->forward(x);
    const auto h = h_n->forward(x);
    for (std::size_t i = 0; i < H; ++i) {
        CHECK(h[i] == y[(T - 1) * 2 * H + i]);
        CHECK(h[H + i] == y[H + i]);
    }
}

TEST_CASE("LastStep: the last row of a sequence, and a step passes through") {
    using M = Model<LastStep, Input<3, 2>>;
    M model;
    const M::output_type y = model.forward(M::input_type{1, 2, 3, 4, 5, 6});
    CHECK(y[0] == 5);
    CHECK(y[1] == 6);
    const float in[2] = {7, 8};
    float out[2] = {};
    LastStep::step<float, shape{2}>(layer_params<LastStep, float>{nullptr}, nullptr, in, out);
    CHECK(out[0] == 7);
    CHECK(out[1] == 8);
}
