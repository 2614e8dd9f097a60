// Per-step latency of recurrent networks at batch 1, typenet against LibTorch in the same run, with
// the same weights and outputs checked against each other before anything is timed:
//   - GRU and LSTM (hidden 32 and 128, input as large, one layer): one time step (typenet's Stream,
//     LibTorch's module called on a sequence of 1 with the hidden state carried), and a whole
//     1,000-step sequence (typenet's Model, LibTorch's module on [1, 1000, input]);
//   - RTNeural's benchmark network (Linear 1->8, tanh, causal Conv1d 8->4 kernel 3 dilation 2,
//     tanh, GRU 4->8, Linear 8->1; examples/realtime/) one sample at a time, typenet only.
//
//     build/bench/typenet_step_bench [--benchmark_repetitions=5]
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <typenet/typenet.hpp>

#include "step_peer.hpp"

namespace {

using namespace typenet;

template <class M>
void copy_parameters(const step_peer::torch_recurrent& peer, M& model) {
    for (const auto& [key, values] : peer.parameters()) {
        const auto bytes = model.bytes(key);
        if (bytes.size() != values.size() * sizeof(float)) {
            std::fprintf(stderr, "step bench: %s has %zu values in LibTorch, %zu bytes in typenet\n", key.c_str(),
                         values.size(), bytes.size());
            std::exit(1);
        }
        std::memcpy(bytes.data(), values.data(), bytes.size());
    }
}

std::vector<float> random_values(std::size_t n) {
    std::mt19937 gen(7);
    std::normal_distribution<float> normal;
    std::vector<float> v(n);
    for (float& x : v) x = normal(gen);
    return v;
}

void check(const char* what, const float* a, const float* b, std::size_t n) {
    double worst = 0, scale = 0;
    for (std::size_t i = 0; i < n; ++i) {
        worst = std::fmax(worst, std::fabs(double(a[i]) - double(b[i])));
        scale = std::fmax(scale, std::fabs(double(b[i])));
    }
    const double error = worst / (scale > 0 ? scale : 1);
    std::printf("  %-28s typenet vs LibTorch %.1e %s\n", what, error, error <= 1e-5 ? "ok" : "MISMATCH");
    if (error > 1e-5) std::exit(1);
}

template <template <std::size_t, std::size_t, class...> class Layer, std::size_t H>
struct recurrent_pair {
    static constexpr std::size_t steps = 1000;
    using stream_type = Stream<Layer<H, H>, Input<H>>;
    using model_type = Model<Layer<H, H>, Input<steps, H>>;
    step_peer::torch_recurrent peer;
    std::unique_ptr<stream_type> stream = std::make_unique<stream_type>();
    std::unique_ptr<model_type> model = std::make_unique<model_type>();
    std::vector<float> inputs = random_values(steps * H);

    explicit recurrent_pair(const char* kind) : peer(kind, int(H), int(H)) {
        copy_parameters(peer, *stream);
        copy_parameters(peer, *model);
        // The whole sequence, then the first 50 steps one at a time, against LibTorch.
        std::vector<float> expected(steps * H);
        peer.sequence(inputs.data(), int(steps), expected.data());
        auto x = std::make_unique<typename model_type::input_type>();
        auto y = std::make_unique<typename model_type::output_type>();
        std::memcpy(x->data(), inputs.data(), inputs.size() * sizeof(float));
        model->forward(*x, *y);
        const std::string name = std::string(kind) + " " + std::to_string(H) + " sequence";
        check(name.c_str(), y->data(), expected.data(), expected.size());
        typename stream_type::state_type state{};
        typename stream_type::input_type xs;
        typename stream_type::output_type ys;
        constexpr std::size_t checked_steps = 50;
        std::vector<float> typenet_steps(checked_steps * H), torch_steps(checked_steps * H);
        for (std::size_t t = 0; t < checked_steps; ++t) {
            std::memcpy(xs.data(), inputs.data() + t * H, H * sizeof(float));
            stream->step(state, xs, ys);
            std::memcpy(typenet_steps.data() + t * H, ys.data(), H * sizeof(float));
            peer.step(inputs.data() + t * H, torch_steps.data() + t * H);
        }
        check((std::string(kind) + " " + std::to_string(H) + " steps").c_str(), typenet_steps.data(),
              torch_steps.data(), typenet_steps.size());
        peer.reset();
    }
};

template <class Pair>
Pair& pair_of(const char* kind) {
    static Pair pair(kind);
    return pair;
}

template <template <std::size_t, std::size_t, class...> class Layer, std::size_t H>
void typenet_step(benchmark::State& st, const char* kind) {
    using P = recurrent_pair<Layer, H>;
    P& p = pair_of<P>(kind);
    typename P::stream_type::state_type state{};
    typename P::stream_type::input_type x;
    typename P::stream_type::output_type y;
    std::memcpy(x.data(), p.inputs.data(), H * sizeof(float));
    for (auto _ : st) {
        p.stream->step(state, x, y);
        benchmark::DoNotOptimize(y);
        benchmark::ClobberMemory();
    }
}

template <template <std::size_t, std::size_t, class...> class Layer, std::size_t H>
void libtorch_step(benchmark::State& st, const char* kind) {
    using P = recurrent_pair<Layer, H>;
    P& p = pair_of<P>(kind);
    std::vector<float> y(H);
    for (auto _ : st) {
        p.peer.step(p.inputs.data(), y.data());
        benchmark::DoNotOptimize(y.data());
    }
    p.peer.reset();
}

template <template <std::size_t, std::size_t, class...> class Layer, std::size_t H>
void typenet_sequence(benchmark::State& st, const char* kind) {
    using P = recurrent_pair<Layer, H>;
    P& p = pair_of<P>(kind);
    auto x = std::make_unique<typename P::model_type::input_type>();
    auto y = std::make_unique<typename P::model_type::output_type>();
    std::memcpy(x->data(), p.inputs.data(), p.inputs.size() * sizeof(float));
    for (auto _ : st) {
        p.model->forward(*x, *y);
        benchmark::DoNotOptimize(y->data());
    }
}

template <template <std::size_t, std::size_t, class...> class Layer, std::size_t H>
void libtorch_sequence(benchmark::State& st, const char* kind) {
    using P = recurrent_pair<Layer, H>;
    P& p = pair_of<P>(kind);
    std::vector<float> y(P::steps * H);
    for (auto _ : st) {
        p.peer.sequence(p.inputs.data(), int(P::steps), y.data());
        benchmark::DoNotOptimize(y.data());
    }
}

template <std::size_t I, std::size_t H, class... O>
using gru = GRU<I, H, O...>;
template <std::size_t I, std::size_t H, class... O>
using lstm = LSTM<I, H, O...>;

// examples/realtime/realtime.cpp's network, one sample at a time.
using Realtime = Sequential<Named<"dense_in", Linear<1, 8>>, Tanh, Transpose<1, 2>, Named<"pad", ConstantPad1d<4, 0>>,
                            Named<"conv", Conv1d<8, 4, 3, dilation<2>>>, Tanh, Transpose<1, 2>,
                            Named<"gru", GRU<4, 8>>, Named<"dense_out", Linear<8, 1>>>;

void typenet_realtime_sample(benchmark::State& st) {
    using S = Stream<Realtime, Input<1>>;
    auto net = std::make_unique<S>();
    const std::vector<float> weights = random_values(S::state_bytes / sizeof(float));
    std::memcpy(net->state().data(), weights.data(), S::state_bytes);
    S::state_type state{};
    S::input_type x;
    S::output_type y;
    float phase = 0;
    for (auto _ : st) {
        x[0] = phase;
        phase = phase > 1 ? -1 : phase + 0.01f;
        net->step(state, x, y);
        benchmark::DoNotOptimize(y);
    }
}

}  // namespace

namespace {

template <template <std::size_t, std::size_t, class...> class Layer, std::size_t H>
void register_rows(const char* kind) {
    const std::string name = std::string(kind) + "_" + std::to_string(H);
    benchmark::RegisterBenchmark(("typenet/" + name + "_step").c_str(), typenet_step<Layer, H>, kind);
    benchmark::RegisterBenchmark(("libtorch/" + name + "_step").c_str(), libtorch_step<Layer, H>, kind);
    benchmark::RegisterBenchmark(("typenet/" + name + "_1000_steps").c_str(), typenet_sequence<Layer, H>, kind)
        ->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark(("libtorch/" + name + "_1000_steps").c_str(), libtorch_sequence<Layer, H>, kind)
        ->Unit(benchmark::kMicrosecond);
}

}  // namespace

int main(int argc, char** argv) {
    step_peer::set_threads(1);
    register_rows<gru, 32>("gru");
    register_rows<lstm, 32>("lstm");
    register_rows<gru, 128>("gru");
    register_rows<lstm, 128>("lstm");
    benchmark::RegisterBenchmark("typenet/rtneural_model_sample", typenet_realtime_sample);
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
}
