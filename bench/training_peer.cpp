// LibTorch's side of the training benchmark (training_bench.cpp): the seed's SimpleMNISTModel in
// LibTorch's C++ API, one training step as PyTorch takes it: zero_grad, forward, cross-entropy,
// backward, Adam. Its own translation unit: LibTorch's headers want C++17 and are slow to compile.
#include <benchmark/benchmark.h>

#include <torch/torch.h>

namespace {

torch::nn::Sequential simple_mnist() {
    namespace nn = torch::nn;
    auto conv = [](int in, int out) { return nn::Conv2d(nn::Conv2dOptions(in, out, 3).padding(1)); };
    auto pool = [] { return nn::MaxPool2d(nn::MaxPool2dOptions(2).stride(2)); };
    return nn::Sequential(conv(1, 32), nn::ReLU(), pool(), conv(32, 64), nn::ReLU(), pool(), conv(64, 128), nn::ReLU(),
                          nn::AdaptiveAvgPool2d(nn::AdaptiveAvgPool2dOptions({4, 4})), nn::Flatten(),
                          nn::Linear(128 * 4 * 4, 256), nn::ReLU(), nn::Dropout(0.5), nn::Linear(256, 128), nn::ReLU(),
                          nn::Dropout(0.3), nn::Linear(128, 10));
}

void libtorch_train_step(benchmark::State& state) {
    const int threads = int(state.range(0));
    torch::set_num_threads(threads);
    torch::manual_seed(0);
    constexpr int batch = 64;
    auto model = simple_mnist();
    model->train();
    torch::optim::Adam adam(model->parameters(), torch::optim::AdamOptions(1e-3));
    const torch::Tensor x = torch::randn({batch, 1, 28, 28});
    const torch::Tensor labels = torch::randint(0, 10, {batch}, torch::kLong);
    for (auto _ : state) {
        adam.zero_grad();
        torch::Tensor loss = torch::nn::functional::cross_entropy(model->forward(x), labels);
        loss.backward();
        adam.step();
        benchmark::DoNotOptimize(loss.data_ptr());
    }
    state.SetItemsProcessed(state.iterations() * batch);
    state.counters["threads"] = threads;
}

}  // namespace

BENCHMARK(libtorch_train_step)->Name("train_step/SimpleMNIST/batch64/libtorch")->Arg(1)->Arg(2)->UseRealTime()
    ->Unit(benchmark::kMillisecond);
