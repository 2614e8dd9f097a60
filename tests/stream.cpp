// Streaming (stream.hpp): a Stream run one time step at a time gives PyTorch's whole-sequence
// outputs, and the whole-sequence Model's, step t being time index t; reset() starts a sequence
// again; a Stream loads and saves like a Model. The models are the conv_pool group's causal
// convolutions (reference/conv_pool.py) and the recurrent group's TCN of residual Blocks before a
// GRU (reference/recurrent.py): PyTorch computed their outputs on whole sequences.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "parity_support.hpp"
#include "reference/conv_pool.hpp"
#include "reference/recurrent.hpp"

using namespace parity;
using namespace typenet;

namespace {

// The sample's layout: time first ([T, F], a recurrent layer's) or last ([C, L], a Conv1d's).
enum class time_axis { first, last };

// Runs the `steps` time steps of one sample (`in`, `in_size` values per step) through the stream,
// from the state as it is, and writes the outputs in the layout OutAxis (by default the input's).
template <time_axis Axis, time_axis OutAxis = Axis, class S, class T>
void run_sequence(S& stream, typename S::state_type& state, const T* in, T* out, std::size_t steps) {
    constexpr std::size_t in_size = S::input_shape.numel(), out_size = S::output_shape.numel();
    typename S::input_type x;
    typename S::output_type y;
    for (std::size_t t = 0; t < steps; ++t) {
        for (std::size_t i = 0; i < in_size; ++i) x[i] = Axis == time_axis::first ? in[t * in_size + i] : in[i * steps + t];
        stream.step(state, x, y);
        for (std::size_t o = 0; o < out_size; ++o) (OutAxis == time_axis::first ? out[t * out_size + o] : out[o * steps + t]) = y[o];
    }
}

// The reference batch of `name`, each sample a sequence run from the start: outputs of the batch.
template <time_axis Axis, time_axis OutAxis = Axis, class S>
std::vector<typename S::scalar_type> stream_outputs(S& stream, const std::string& name, std::size_t steps) {
    using T = typename S::scalar_type;
    const std::vector<float> x32 = read_values<float>(name + ".input.bin");
    const std::vector<T> x(x32.begin(), x32.end());
    REQUIRE(x.size() == batch * steps * S::input_shape.numel());
    std::vector<T> y(batch * steps * S::output_shape.numel());
    for (std::size_t n = 0; n < batch; ++n) {
        typename S::state_type state{};
        run_sequence<Axis, OutAxis>(stream, state, x.data() + n * steps * S::input_shape.numel(),
                           y.data() + n * steps * S::output_shape.numel(), steps);
    }
    return y;
}

// The Stream of a whole-sequence model, stepped, against PyTorch's and the Model's outputs.
template <class Net, class Whole, class Step, time_axis Axis, std::size_t Steps, time_axis OutAxis = Axis>
void check_stream(const std::string& name) {
    using S = Stream<Net, Step>;
    using M = Model<Net, Whole, float, batch>;
    auto stream = std::make_unique<S>();
    auto model = std::make_unique<M>();
    load_state_dict(*stream, path_of(name + ".pth"));
    load_state_dict(*model, path_of(name + ".pth"));
    const std::vector<float> y = stream_outputs<Axis, OutAxis>(*stream, name, Steps);
    CHECK(test::relative_error<float, float>(y, read_values<float>(name + ".output.bin")) <= 1e-5);

    auto x = std::make_unique<typename M::template batch_input_type<batch>>();
    auto whole = std::make_unique<typename M::template batch_output_type<batch>>();
    read_tensor<float>(*x, name + ".input.bin");
    model->forward(*x, *whole);
    CHECK(test::relative_error<float, float>(y, whole->flat()) <= 1e-5);
}

// The Stream of Net stepped through one sample against the whole-sequence Model, both holding the
// same parameters: a fixed sequence of values, ((k * 37) % 23) / divisor - shift for the k-th float
// of the state (the Model's outputs are PyTorch's: parity tests).
template <class Net, class Whole, class Step, time_axis Axis, std::size_t Steps>
void check_stream_as_model(float divisor, float shift) {
    using S = Stream<Net, Step>;
    using M = Model<Net, Whole>;
    auto stream = std::make_unique<S>();
    auto model = std::make_unique<M>();
    for (const state_entry& e : S::state_dict) {
        float* values = reinterpret_cast<float*>(stream->bytes(e).data());
        for (std::size_t i = 0; i < e.numel; ++i) values[i] = float(((e.offset / 4 + i) * 37 % 23)) / divisor - shift;
    }
    std::memcpy(model->state().data(), stream->state().data(), S::state_bytes);
    typename M::input_type x;
    for (std::size_t i = 0; i < x.size; ++i) x[i] = float(i * 13 % 17) / 8.0f - 1.0f;
    const typename M::output_type whole = model->forward(x);
    std::vector<float> y(whole.size);
    typename S::state_type state{};
    run_sequence<Axis>(*stream, state, x.data(), y.data(), Steps);
    CHECK(test::relative_error<float, float>(y, whole.flat()) <= 1e-6);
}

using causal_net = reference::stream_causal_conv;  // [120, 4] -> [120, 2], a step [4] -> [2]
using grouped_net = reference::stream_grouped_conv;  // [4, 110] -> [3, 110], a step [4] -> [3]
using causal_stream = Stream<causal_net, Input<4>>;

static_assert(causal_stream::output_shape == shape{2});
static_assert(causal_stream::state_size == 4 * 8, "the Conv1d's last (3 - 1) * 2 inputs of 8 channels");
static_assert(Stream<grouped_net, Input<4>>::state_size == 3 * 4 + 0, "(2 - 1) * 3 inputs of 4 channels; k = 1: none");
static_assert(causal_stream::module("4").input_shape == shape{8} && causal_stream::module("4").output_shape == shape{8});
static_assert(causal_stream::state_dict.size() == Model<causal_net, Input<120, 4>>::state_dict.size());
static_assert(causal_stream::state_dict[2].key == "4.weight" && causal_stream::state_bytes ==
              Model<causal_net, Input<120, 4>>::state_bytes);

// Residual Blocks (x + body(x)) step on the step's shape: [6] + [6]. The state: each causal
// convolution's last (3 - 1) * dilation inputs of 6 channels, then the GRU's h.
using tcn_net = reference::recurrent::stream_tcn_gru;  // [6, 100] -> [100, 2], a step [6] -> [2]
using tcn_stream = Stream<tcn_net, Input<6>>;
static_assert(tcn_stream::state_size == 6 * 2 + 6 * 4 + 8 && tcn_stream::output_shape == shape{2});
static_assert(tcn_stream::module("1.0.1").input_shape == shape{6} && tcn_stream::state_dict[2].key == "1.0.1.weight");

}  // namespace

TEST_CASE("a Stream run step by step gives PyTorch's and the Model's whole-sequence outputs") {
    SECTION("features over time [T, F] around a dilated causal Conv1d (Transpose, ConstantPad1d)") {
        check_stream<causal_net, Input<120, 4>, Input<4>, time_axis::first, 120>("stream_causal_conv");
    }
    SECTION("a grouped, dilated causal Conv1d on [C, L]") {
        check_stream<grouped_net, Input<4, 110>, Input<4>, time_axis::last, 110>("stream_grouped_conv");
    }
    SECTION("residual Blocks of causal dilated Conv1d on [C, L] (a TCN), then a GRU and a Linear on [T, F]") {
        check_stream<tcn_net, Input<6, 100>, Input<6>, time_axis::last, 100, time_axis::first>("stream_tcn_gru");
    }
    SECTION("in double, PyTorch's float64 outputs up to rounding") {
        auto stream = std::make_unique<Stream<causal_net, Input<4>, double>>();
        load_state_dict(*stream, path_of("stream_causal_conv.pth"));
        const std::vector<double> y = stream_outputs<time_axis::first>(*stream, "stream_causal_conv", 120);
        CHECK(test::relative_error<double, double>(y, read_values<double>("stream_causal_conv.output64.bin")) <= 1e-10);
    }
}

TEST_CASE("a Stream of nested Sequentials and stepwise layers steps as the whole sequence runs") {
    // Time first, [7, 3]: Linear, LayerNorm, GELU, Dropout and Identity act on each step alone.
    using Net = Sequential<Named<"encoder", Sequential<Linear<3, 6>, LayerNorm<6>, GELU<>, Dropout<"0.1">>>, Identity,
                           Linear<6, 2>>;
    using S = Stream<Net, Input<3>>;
    static_assert(S::state_size == 0 && S::module("encoder.1").input_shape == shape{6});
    check_stream_as_model<Net, Input<7, 3>, Input<3>, time_axis::first, 7>(11.0f, 1.0f);
}

TEST_CASE("a Stream steps a Block's expression: Add, Mul, Then, calls and inline modules") {
    // WaveNet's gated residual unit on [4, 100] (time last): x + res(tanh(filter(x)) * sigmoid(gate(x))),
    // its causal paddings inline (modules without state in the expression).
    using Gated = Block<Named<"filter", Conv1d<4, 4, 3, dilation<2>>>, Named<"gate", Conv1d<4, 4, 3, dilation<2>>>,
                        Named<"res", Conv1d<4, 4, 1>>,
                        Forward<Add<Identity, Then<Mul<Then<ConstantPad1d<4, 0>, Call<"filter">, Tanh>,
                                                       Then<ConstantPad1d<4, 0>, Call<"gate">, Sigmoid>>,
                                                   Call<"res">>>>>;
    using Net = Sequential<Gated, Named<"second", Gated>, Conv1d<4, 2, 1>>;
    constexpr std::size_t T = 100;
    using S = Stream<Net, Input<4>>;
    static_assert(S::state_size == 2 * (2 * 4 * 4), "two Blocks, each two convolutions' last 4 inputs of 4 channels");
    static_assert(S::module("second.gate").input_shape == shape{4} && S::output_shape == shape{2});
    check_stream_as_model<Net, Input<4, T>, Input<4>, time_axis::last, T>(23.0f, 0.5f);
}

TEST_CASE("a Stream: reset starts a sequence again, and the state is its only memory") {
    auto stream = std::make_unique<causal_stream>();
    load_state_dict(*stream, path_of("stream_causal_conv.pth"));
    const std::vector<float> x = read_values<float>("stream_causal_conv.input.bin");
    constexpr std::size_t T = 120, in_size = 4 * T, out_size = 2 * T;
    std::vector<float> first(out_size), second(out_size), continued(out_size), again(out_size);

    causal_stream::state_type state{};
    run_sequence<time_axis::first>(*stream, state, x.data(), first.data(), T);
    causal_stream::state_type fresh{};
    run_sequence<time_axis::first>(*stream, fresh, x.data() + in_size, second.data(), T);
    // Sample 1 after sample 0 without a reset: the convolution still sees sample 0's last inputs.
    run_sequence<time_axis::first>(*stream, state, x.data() + in_size, continued.data(), T);
    CHECK(continued != second);
    CHECK(std::equal(continued.begin() + 4 * 2, continued.end(), second.begin() + 4 * 2));  // 4 steps back
    causal_stream::reset(state);
    run_sequence<time_axis::first>(*stream, state, x.data() + in_size, again.data(), T);
    CHECK(again == second);
}

TEST_CASE("a Stream loads and saves as a Model: .pth and safetensors round trips") {
    auto stream = std::make_unique<causal_stream>();
    load_state_dict(*stream, path_of("stream_causal_conv.pth"));
    save_state_dict(*stream, path_of("stream_causal_conv.stream.pth"));
    save_safetensors(*stream, path_of("stream_causal_conv.stream.safetensors"));

    auto model = std::make_unique<Model<causal_net, Input<120, 4>>>();
    load_state_dict(*model, path_of("stream_causal_conv.stream.pth"));
    CHECK(std::memcmp(model->state().data(), stream->state().data(), causal_stream::state_bytes) == 0);
    auto back = std::make_unique<causal_stream>();
    load_state_dict(*back, path_of("stream_causal_conv.stream.safetensors"));
    CHECK(std::memcmp(back->state().data(), stream->state().data(), causal_stream::state_bytes) == 0);
    CHECK(back->at<"6.bias">()[1] == stream->at<"6.bias">()[1]);
}
