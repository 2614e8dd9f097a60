// The training benchmark: one training step of the seed's SimpleMNISTModel (batch 64: forward,
// cross-entropy, backward, Adam) in typenet and in LibTorch (training_peer.cpp), on 1 and 2
// threads, in one program. items_per_second is images per second. Built with the suite
// (bench/CMakeLists.txt; scripts/bench.sh does not run it yet):
//     cmake --build build/bench --target typenet_training_bench && build/bench/typenet_training_bench
// PyTorch's own Python training loop is measured by bench/training_throughput.py; results of both
// are in bench/results/training.md.
#include <benchmark/benchmark.h>

#include <array>
#include <cstdint>
#include <memory>
#include <random>

#ifdef _OPENMP
#include <omp.h>
#endif

#include <typenet/adam.hpp>
#include <typenet/init.hpp>
#include <typenet/losses.hpp>
#include <typenet/trainable.hpp>
#include <typenet/typenet.hpp>

#include "../examples/simple_mnist_model.hpp"

namespace {

constexpr std::size_t batch = 64;
using Net = typenet::Trainable<SimpleMNISTModel<>, typenet::Input<1, 28, 28>, float, batch>;

void typenet_train_step(benchmark::State& state) {
    const int threads = int(state.range(0));
#ifdef _OPENMP
    omp_set_num_threads(threads);
#else
    if (threads > 1) state.SkipWithError("built without OpenMP");
#endif
    auto net = std::make_unique<Net>();
    typenet::init_parameters(*net, 0);
    typenet::Adam adam(*net, {.lr = 1e-3});
    auto x = std::make_unique<Net::batch_input_type<batch>>();
    auto logits = std::make_unique<Net::batch_output_type<batch>>();
    auto grad = std::make_unique<Net::batch_output_type<batch>>();
    std::mt19937 random(0);
    std::normal_distribution<float> normal;
    for (float& v : x->elements) v = normal(random);
    std::array<std::int64_t, batch> labels{};
    for (std::size_t i = 0; i < batch; ++i) labels[i] = std::int64_t(random() % 10);
    net->train();
    for (auto _ : state) {
        adam.zero_grad();
        net->forward(*x, *logits);
        benchmark::DoNotOptimize(typenet::cross_entropy(*logits, labels, *grad));
        net->backward(*grad);
        adam.step();
    }
    state.SetItemsProcessed(state.iterations() * std::int64_t(batch));
    state.counters["threads"] = threads;
}

}  // namespace

BENCHMARK(typenet_train_step)->Name("train_step/SimpleMNIST/batch64/typenet")->Arg(1)->Arg(2)->UseRealTime()
    ->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
