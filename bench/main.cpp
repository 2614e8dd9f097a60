// typenet's benchmark suite: every model of models.hpp / model_zoo.py in typenet and in LibTorch,
// with the same weights and inputs (make_weights.py), in the model's (batch, threads)
// configurations of model_zoo.MODELS: batch 1 and 64 on 1 thread and batch 64 on 2 threads for the
// small models, batch 1 and 16 on 1 and 2 threads for the 224x224 torchvision ones. Before
// anything is timed, both peers' outputs at every batch size are checked against each other and
// against PyTorch's; a difference above 1e-4 of the output's scale stops the run with exit status 1.
//
//     typenet_bench [--data=DIR] [--check-only] [Google Benchmark flags]
//
// Counters: images/s, GFLOP/s (FLOPs counted from the model, see flops.hpp) and %peak, the share
// of the peak the peak_fma benchmark measured in this run on one core, times the threads used.
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "data.hpp"
#include "runner.hpp"

namespace {

constexpr double tolerance = 1e-4;

// A wrong output found while benchmarking (for another thread count) fails the run at the end.
bool failed_during_run = false;

struct model_data {
    bench::typenet_model info;
    std::vector<float> inputs, expected;  // the largest batch's samples, PyTorch's outputs for them
};

struct peer {
    std::string name;
    std::unique_ptr<bench::runner> runner;
};

// Output of `r` on the first `batch` reference inputs, relative to PyTorch's.
double error_of(bench::runner& r, const model_data& m, std::size_t batch) {
    r.run(batch);
    const std::vector<float> out = r.output(batch);
    const std::size_t n = batch * m.info.output_elements;
    if (out.size() != n) throw std::runtime_error("output of " + std::to_string(out.size()) + " values, expected " + std::to_string(n));
    return bench::relative_error(std::span<const float>(out), std::span<const float>(m.expected.data(), n));
}

void time_forward(benchmark::State& state, const model_data* m, bench::runner* r, std::size_t batch, int threads) {
    if (!r->set_threads(threads)) {
        state.SkipWithError("not implemented: this peer runs one thread");
        return;
    }
    // The check before the run used one thread; other thread counts must agree as well.
    if (const double e = error_of(*r, *m, batch); !(e <= tolerance)) {
        failed_during_run = true;
        state.SkipWithError(("wrong output with " + std::to_string(threads) + " threads: error " + std::to_string(e)).c_str());
        r->set_threads(1);
        return;
    }
    const double peak = bench::peak_flops_per_core() * threads;
    // Timed here too, as Google Benchmark does not hand out its own elapsed time: the counters
    // are plain numbers, readable as they are (a rate counter would print "%peak=16/s").
    const auto start = std::chrono::steady_clock::now();
    for (auto _ : state) r->run(batch);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const double per_second = double(state.iterations()) / seconds;
    const double flops = m->info.flops_per_image * double(batch);
    state.counters["images/s"] = double(batch) * per_second;
    state.counters["GFLOP/s"] = flops * per_second / 1e9;
    state.counters["%peak"] = 100 * flops * per_second / peak;
    r->set_threads(1);
}

double minimum(const std::vector<double>& v) {
    double m = v.empty() ? 0 : v[0];
    for (double x : v) m = x < m ? x : m;
    return m;
}

char* take_flag(std::vector<char*>& args, const char* prefix) {
    for (auto it = args.begin() + 1; it != args.end(); ++it)
        if (std::strncmp(*it, prefix, std::strlen(prefix)) == 0) {
            char* value = *it + std::strlen(prefix);
            args.erase(it);
            return value;
        }
    return nullptr;
}

int run(int argc, char** argv) {
    std::vector<char*> args(argv, argv + argc);
    std::string data_dir = TYPENET_BENCH_DATA_DIR;
    if (const char* d = take_flag(args, "--data=")) data_dir = d;
    const bool check_only = take_flag(args, "--check-only") != nullptr;
    int rest = int(args.size());
    args.push_back(nullptr);
    benchmark::Initialize(&rest, args.data());
    if (benchmark::ReportUnrecognizedArguments(rest, args.data())) return 2;

    bench::register_peak_benchmarks();
    std::vector<std::unique_ptr<model_data>> models;
    std::vector<peer> peers;  // kept alive for the benchmarks, which hold raw pointers
    int wrong = 0;
    std::fprintf(stderr, "checking outputs against PyTorch's (limit %.0e of the output's scale):\n", tolerance);
    for (const bench::typenet_model& info : bench::typenet_models()) {
        auto m = std::make_unique<model_data>();
        m->info = info;
        const std::string prefix = data_dir + "/" + info.name;
        m->inputs = bench::read_floats(prefix + ".input.bin");
        m->expected = bench::read_floats(prefix + ".output.bin");
        const std::vector<std::size_t> batches = bench::batches_of(info.configurations);
        std::size_t samples = 0;
        for (std::size_t b : batches) samples = b > samples ? b : samples;
        std::size_t input_elements = 1;
        for (std::size_t d : info.input_shape) input_elements *= d;
        if (m->inputs.size() != samples * input_elements || m->expected.size() != samples * info.output_elements)
            throw std::runtime_error(info.name + ": the data holds " +
                                     std::to_string(m->inputs.size() / input_elements) +
                                     " samples, the largest batch of its configurations is " +
                                     std::to_string(samples) + "; make the data again (make_weights.py)");
        const std::vector<char> flops_text = bench::read_bytes(prefix + ".flops.txt");
        const double python_flops = std::stod(std::string(flops_text.begin(), flops_text.end()));
        if (python_flops != info.flops_per_image)
            throw std::runtime_error(info.name + ": typenet counts " + std::to_string(info.flops_per_image) +
                                     " FLOPs per image, model_zoo.count_flops " + std::to_string(python_flops));

        peer model_peers[] = {{"typenet", bench::make_typenet_runner(info.name, data_dir)},
                              {"libtorch",
                               bench::make_libtorch_runner(info.name, data_dir, info.input_shape, batches)}};
        for (std::size_t batch : batches) {
            std::vector<std::vector<float>> outputs;
            for (peer& p : model_peers) {
                p.runner->set_input(m->inputs, batch);
                p.runner->set_threads(1);
                const double e = error_of(*p.runner, *m, batch);
                outputs.push_back(p.runner->output(batch));
                const bool ok = e <= tolerance;
                wrong += !ok;
                std::fprintf(stderr, "  %-16s batch %-3zu %-9s error %.1e %s\n", info.name.c_str(), batch,
                             p.name.c_str(), e, ok ? "ok" : "WRONG");
            }
            const double between = bench::relative_error(std::span<const float>(outputs[0]), std::span<const float>(outputs[1]));
            wrong += !(between <= tolerance);
            std::fprintf(stderr, "  %-16s batch %-3zu typenet vs libtorch %.1e %s\n", info.name.c_str(), batch, between,
                         between <= tolerance ? "ok" : "WRONG");
        }
        for (peer& p : model_peers) {
            for (const bench::configuration& c : info.configurations) {
                const std::string name = p.name + "/" + info.name + "/batch:" + std::to_string(c.batch) +
                                         "/threads:" + std::to_string(c.threads);
                benchmark::RegisterBenchmark(name.c_str(), time_forward, m.get(), p.runner.get(), c.batch, c.threads)
                    ->UseRealTime()
                    ->Unit(benchmark::kMicrosecond)
                    ->ComputeStatistics("min", minimum);
            }
            if (!p.runner->description().empty())
                benchmark::AddCustomContext(p.name + "/" + info.name, p.runner->description());
            peers.push_back(std::move(p));
        }
        models.push_back(std::move(m));
    }
    if (wrong) {
        std::fprintf(stderr, "\ntypenet_bench: FAILED: %d output(s) differ from PyTorch's or from each other by more "
                             "than %.0e; nothing was timed\n", wrong, tolerance);
        return 1;
    }
    if (check_only) return 0;

    benchmark::AddCustomContext("libtorch_version", bench::libtorch_version());
    benchmark::AddCustomContext("libtorch_blas", bench::loaded_blas_library());
    benchmark::AddCustomContext("typenet_simd", bench::typenet_description());
    benchmark::AddCustomContext("data_dir", data_dir);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    if (failed_during_run) {
        std::fprintf(stderr, "typenet_bench: FAILED: outputs with more threads differ from PyTorch's (see the errors above)\n");
        return 1;
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        return run(argc, argv);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "typenet_bench: %s\n", e.what());
        return 1;
    }
}
