// The sequence models of the benchmark suite, typenet against LibTorch in the same run, one thread,
// with the weights and inputs sequence_zoo.py made with PyTorch. Every peer's outputs are checked
// against PyTorch's before anything is timed (1e-4 of the output's scale, as bench_ort.js; the
// errors are printed, and the program exits with status 1 if one is larger):
//   - GRU and LSTM (hidden 32 and 128, input as large, one layer, batch 1): one time step (typenet's
//     Stream, LibTorch's module called on a sequence of 1 with the hidden state carried), checked
//     over the first 50 steps; and a whole 1,000-step sequence (typenet's Model, LibTorch's module
//     on [1, 1000, input]);
//   - nn.TransformerEncoder of 2 nn.TransformerEncoderLayer(128, 4) (dim_feedforward 2048), on a
//     sequence of 64, batch 1 and 16: typenet's Model, LibTorch's frozen TorchScript;
//   - RTNeural's benchmark network (Linear 1->8, tanh, causal Conv1d 8->4 kernel 3 dilation 2,
//     tanh, GRU 4->8, Linear 8->1; examples/realtime/) one sample at a time, typenet only.
// Benchmarks are named PEER/MODEL/WHAT (WHAT: step, 1000_steps, batch:B, sample), which report.py
// reads; LibTorch's modules get typenet's values (loaded from the .pth) key by key.
//
//     build/bench/typenet_step_bench [--data=DIR] [--check-only] [--benchmark_repetitions=5]
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <random>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#ifdef _OPENMP
#include <omp.h>
#endif

#include <typenet/typenet.hpp>

#include "data.hpp"
#include "step_peer.hpp"

namespace {

using namespace typenet;

constexpr double tolerance = 1e-4;
std::string data_dir = TYPENET_SEQUENCE_DATA_DIR;
int mismatches = 0;

void check(const std::string& what, const char* peer, std::span<const float> actual, std::span<const float> expected) {
    const double error = bench::relative_error(actual, expected);
    const bool ok = error <= tolerance;
    std::printf("  %-28s %-8s vs PyTorch: %.1e of the output's scale %s\n", what.c_str(), peer, error,
                ok ? "ok" : "MISMATCH");
    if (!ok) ++mismatches;
}

std::vector<float> read_sized(const std::string& path, std::size_t count) {
    std::vector<float> v = bench::read_floats(path);
    if (v.size() != count)
        throw std::runtime_error(path + " has " + std::to_string(v.size()) + " values, not " + std::to_string(count) +
                                 ": remake it with bench/sequence_zoo.py");
    return v;
}

template <template <std::size_t, std::size_t, class...> class Layer, std::size_t H>
struct recurrent_rows {
    static constexpr std::size_t steps = 1000, checked_steps = 50;
    using stream_type = Stream<Layer<H, H>, Input<H>>;
    using model_type = Model<Layer<H, H>, Input<steps, H>>;
    std::string name;
    step_peer::torch_recurrent peer;
    std::unique_ptr<stream_type> stream = std::make_unique<stream_type>();
    std::unique_ptr<model_type> model = std::make_unique<model_type>();
    std::unique_ptr<typename model_type::input_type> x = std::make_unique<typename model_type::input_type>();
    std::unique_ptr<typename model_type::output_type> y = std::make_unique<typename model_type::output_type>();
    std::vector<float> inputs;

    explicit recurrent_rows(const char* kind) : name(std::string(kind) + "_" + std::to_string(H)), peer(kind, H, H) {
        const std::string prefix = data_dir + "/" + name;
        load_state_dict(*model, prefix + ".pth");
        load_state_dict(*stream, prefix + ".pth");
        for (const auto& [key, count] : peer.parameters()) {
            const auto bytes = model->bytes(key);
            if (bytes.size() != count * sizeof(float))
                throw std::runtime_error(name + ": " + key + " has " + std::to_string(count) + " values in LibTorch, " +
                                         std::to_string(bytes.size()) + " bytes in typenet");
            std::vector<float> values(count);
            std::memcpy(values.data(), bytes.data(), bytes.size());
            peer.set_parameter(key, values.data(), count);
        }
        inputs = read_sized(prefix + ".input.bin", steps * H);
        const std::vector<float> expected = read_sized(prefix + ".output.bin", steps * H);
        std::memcpy(x->data(), inputs.data(), inputs.size() * sizeof(float));

        model->forward(*x, *y);
        check(name + " 1000 steps", "typenet", {y->data(), steps * H}, expected);
        std::vector<float> torch_sequence(steps * H);
        peer.sequence(inputs.data(), int(steps), torch_sequence.data());
        check(name + " 1000 steps", "LibTorch", torch_sequence, expected);

        typename stream_type::state_type state{};
        typename stream_type::input_type xs;
        typename stream_type::output_type ys;
        std::vector<float> typenet_steps(checked_steps * H), torch_steps(checked_steps * H);
        peer.reset();
        for (std::size_t t = 0; t < checked_steps; ++t) {
            std::memcpy(xs.data(), inputs.data() + t * H, H * sizeof(float));
            stream->step(state, xs, ys);
            std::memcpy(typenet_steps.data() + t * H, ys.data(), H * sizeof(float));
            peer.step(inputs.data() + t * H, torch_steps.data() + t * H);
        }
        const std::span<const float> first_steps(expected.data(), checked_steps * H);
        check(name + " one step at a time", "typenet", typenet_steps, first_steps);
        check(name + " one step at a time", "LibTorch", torch_steps, first_steps);
        peer.reset();
    }
};

// nn.TransformerEncoder(nn.TransformerEncoderLayer(128, 4, batch_first=True), 2): dim_feedforward
// 2048, relu, post-norm, no final norm, as sequence_zoo.py makes it.
using Encoder = TransformerEncoder<TransformerEncoderLayer<128, 4, 2048, batch_first<true>>, 2>;

struct encoder_rows {
    static constexpr std::size_t sequence = 64, d_model = 128, max_batch = 16;
    using model_type = Model<Encoder, Input<sequence, d_model>, float, max_batch>;
    template <std::size_t B>
    struct batch_io {
        std::unique_ptr<typename model_type::template batch_input_type<B>> in =
            std::make_unique<typename model_type::template batch_input_type<B>>();
        std::unique_ptr<typename model_type::template batch_output_type<B>> out =
            std::make_unique<typename model_type::template batch_output_type<B>>();
    };
    std::string name = "transformer_encoder";
    std::unique_ptr<model_type> model = std::make_unique<model_type>();
    step_peer::torch_script peer;
    std::vector<float> inputs;
    batch_io<1> one;
    batch_io<16> sixteen;

    encoder_rows() : peer(data_dir + "/transformer_encoder.pt") {
        const std::string prefix = data_dir + "/" + name;
        load_state_dict(*model, prefix + ".pth");
        constexpr std::size_t sample = sequence * d_model;
        inputs = read_sized(prefix + ".input.bin", max_batch * sample);
        const std::vector<float> expected = read_sized(prefix + ".output.bin", max_batch * sample);
        check_batch(one, expected);
        check_batch(sixteen, expected);
    }

    template <std::size_t B>
    batch_io<B>& io() {
        if constexpr (B == 1) return one;
        else return sixteen;
    }

    template <std::size_t B>
    void check_batch(batch_io<B>& b, const std::vector<float>& expected) {
        constexpr std::size_t n = B * sequence * d_model;
        std::memcpy(b.in->data(), inputs.data(), n * sizeof(float));
        model->forward(*b.in, *b.out);
        const std::string what = name + " batch " + std::to_string(B);
        check(what, "typenet", {b.out->data(), n}, {expected.data(), n});
        std::vector<float> torch_out(n);
        peer.forward(inputs.data(), {std::int64_t(B), std::int64_t(sequence), std::int64_t(d_model)}, torch_out.data());
        check(what, "LibTorch", torch_out, {expected.data(), n});
    }
};

template <class T>
std::unique_ptr<T>& the() {
    static std::unique_ptr<T> rows;
    return rows;
}

template <template <std::size_t, std::size_t, class...> class Layer, std::size_t H>
void typenet_step(benchmark::State& st) {
    auto& r = *the<recurrent_rows<Layer, H>>();
    using S = typename recurrent_rows<Layer, H>::stream_type;
    typename S::state_type state{};
    typename S::input_type x;
    typename S::output_type y;
    std::memcpy(x.data(), r.inputs.data(), H * sizeof(float));
    for (auto _ : st) {
        r.stream->step(state, x, y);
        benchmark::DoNotOptimize(y);
        benchmark::ClobberMemory();
    }
}

template <template <std::size_t, std::size_t, class...> class Layer, std::size_t H>
void libtorch_step(benchmark::State& st) {
    auto& r = *the<recurrent_rows<Layer, H>>();
    std::vector<float> y(H);
    r.peer.reset();
    for (auto _ : st) {
        r.peer.step(r.inputs.data(), y.data());
        benchmark::DoNotOptimize(y.data());
    }
    r.peer.reset();
}

template <template <std::size_t, std::size_t, class...> class Layer, std::size_t H>
void typenet_sequence(benchmark::State& st) {
    auto& r = *the<recurrent_rows<Layer, H>>();
    for (auto _ : st) {
        r.model->forward(*r.x, *r.y);
        benchmark::DoNotOptimize(r.y->data());
    }
}

template <template <std::size_t, std::size_t, class...> class Layer, std::size_t H>
void libtorch_sequence(benchmark::State& st) {
    auto& r = *the<recurrent_rows<Layer, H>>();
    std::vector<float> y(recurrent_rows<Layer, H>::steps * H);
    for (auto _ : st) {
        r.peer.sequence(r.inputs.data(), int(recurrent_rows<Layer, H>::steps), y.data());
        benchmark::DoNotOptimize(y.data());
    }
}

template <std::size_t B>
void typenet_encoder(benchmark::State& st) {
    auto& r = *the<encoder_rows>();
    auto& b = r.io<B>();
    for (auto _ : st) {
        r.model->forward(*b.in, *b.out);
        benchmark::DoNotOptimize(b.out->data());
    }
}

template <std::size_t B>
void libtorch_encoder(benchmark::State& st) {
    auto& r = *the<encoder_rows>();
    std::vector<float> y(B * encoder_rows::sequence * encoder_rows::d_model);
    const std::vector<std::int64_t> shape{std::int64_t(B), std::int64_t(encoder_rows::sequence),
                                          std::int64_t(encoder_rows::d_model)};
    for (auto _ : st) {
        r.peer.forward(r.inputs.data(), shape, y.data());
        benchmark::DoNotOptimize(y.data());
    }
}

std::vector<float> random_values(std::size_t n) {
    std::mt19937 gen(7);
    std::normal_distribution<float> normal;
    std::vector<float> v(n);
    for (float& x : v) x = normal(gen);
    return v;
}

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

template <std::size_t I, std::size_t H, class... O>
using gru = GRU<I, H, O...>;
template <std::size_t I, std::size_t H, class... O>
using lstm = LSTM<I, H, O...>;

template <template <std::size_t, std::size_t, class...> class Layer, std::size_t H>
void add_recurrent(const char* kind) {
    auto& rows = the<recurrent_rows<Layer, H>>();
    rows = std::make_unique<recurrent_rows<Layer, H>>(kind);
    const std::string& name = rows->name;
    benchmark::RegisterBenchmark(("typenet/" + name + "/step").c_str(), typenet_step<Layer, H>);
    benchmark::RegisterBenchmark(("libtorch/" + name + "/step").c_str(), libtorch_step<Layer, H>);
    benchmark::RegisterBenchmark(("typenet/" + name + "/1000_steps").c_str(), typenet_sequence<Layer, H>)
        ->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark(("libtorch/" + name + "/1000_steps").c_str(), libtorch_sequence<Layer, H>)
        ->Unit(benchmark::kMicrosecond);
}

void add_encoder() {
    the<encoder_rows>() = std::make_unique<encoder_rows>();
    benchmark::RegisterBenchmark("typenet/transformer_encoder/batch:1", typenet_encoder<1>)
        ->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark("libtorch/transformer_encoder/batch:1", libtorch_encoder<1>)
        ->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark("typenet/transformer_encoder/batch:16", typenet_encoder<16>)
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark("libtorch/transformer_encoder/batch:16", libtorch_encoder<16>)
        ->Unit(benchmark::kMillisecond);
}

}  // namespace

int main(int argc, char** argv) {
    bool check_only = false;
    std::vector<char*> args{argv[0]};
    for (int i = 1; i < argc; ++i) {
        if (std::strncmp(argv[i], "--data=", 7) == 0) data_dir = argv[i] + 7;
        else if (std::strcmp(argv[i], "--check-only") == 0) check_only = true;
        else args.push_back(argv[i]);
    }
    // One thread for every peer: these rows measure latency, not parallel speed-up.
    step_peer::set_threads(1);
#ifdef _OPENMP
    omp_set_num_threads(1);
#endif
    try {
        std::printf("outputs against PyTorch's (%s), tolerance %.0e of the output's scale:\n", data_dir.c_str(),
                    tolerance);
        add_recurrent<gru, 32>("gru");
        add_recurrent<gru, 128>("gru");
        add_recurrent<lstm, 32>("lstm");
        add_recurrent<lstm, 128>("lstm");
        add_encoder();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "typenet_step_bench: %s\n", e.what());
        return 1;
    }
    if (mismatches > 0) {
        std::fprintf(stderr, "typenet_step_bench: %d output(s) differ from PyTorch's; nothing timed\n", mismatches);
        return 1;
    }
    std::fflush(stdout);
    if (check_only) return 0;
    benchmark::RegisterBenchmark("typenet/rtneural/sample", typenet_realtime_sample);
    benchmark::AddCustomContext("libtorch_version", step_peer::version());
    benchmark::AddCustomContext("sequence_data_dir", data_dir);
    int count = int(args.size());
    benchmark::Initialize(&count, args.data());
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
}
