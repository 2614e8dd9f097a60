// The typenet peer's runner: one model of models.hpp as a typenet Model, described by its struct
// in zoo.hpp (generated from model_zoo.MODELS: name, input shape, configurations). The Model's
// compile-time batch is the model's largest batch, and a forward pass is compiled for each batch
// size the configurations name; the weights are the .pth file make_weights.py saved.
#pragma once

#include <array>
#include <cstddef>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#ifdef _OPENMP
#include <omp.h>
#endif

#include <typenet/typenet.hpp>

#include "flops.hpp"
#include "runner.hpp"
#include "zoo.hpp"

namespace bench::typenet_peer {

// The largest batch of a zoo model's configurations.
template <class Zoo>
constexpr std::size_t largest_batch() {
    std::size_t largest = 0;
    for (const configuration& c : Zoo::configurations) largest = c.batch > largest ? c.batch : largest;
    return largest;
}

// The distinct batch sizes of a zoo model's configurations, in the order they first appear.
template <class Zoo>
constexpr auto batches_of() {
    constexpr auto distinct = [] {
        std::array<std::size_t, Zoo::configurations.size()> out{};
        std::size_t count = 0;
        for (const configuration& c : Zoo::configurations) {
            bool seen = false;
            for (std::size_t i = 0; i < count; ++i) seen = seen || out[i] == c.batch;
            if (!seen) out[count++] = c.batch;
        }
        return std::pair{out, count};
    }();
    std::array<std::size_t, distinct.second> out{};
    for (std::size_t i = 0; i < out.size(); ++i) out[i] = distinct.first[i];
    return out;
}

// typenet::Input<...> of a zoo model's per-sample input shape.
template <class Zoo, std::size_t... I>
typenet::Input<Zoo::input_shape[I]...> input_of(std::index_sequence<I...>);
template <class Zoo>
using input_t = decltype(input_of<Zoo>(std::make_index_sequence<Zoo::input_shape.size()>{}));

template <class Net, class Zoo>
class typenet_runner final : public runner {
public:
    using M = typenet::Model<Net, input_t<Zoo>, float, largest_batch<Zoo>()>;
    static constexpr auto batches = batches_of<Zoo>();

    // The .pth file PyTorch saved, loaded strictly: keys, shapes and dtypes must be the model's.
    explicit typenet_runner(const std::string& data_dir) {
        typenet::load_state_dict(*model_, data_dir + "/" + std::string(Zoo::name) + ".pth");
    }

    void set_input(const std::vector<float>& inputs, std::size_t batch) override {
        const std::size_t n = batch * M::input_shape.numel();
        if (inputs.size() < n) throw std::runtime_error("typenet peer: fewer inputs than the batch needs");
        with_batch(batch, [&](auto& b) { std::memcpy(b.in->data(), inputs.data(), n * sizeof(float)); });
    }

    // Every batch size is a compile-time constant: one forward pass each, fully inlined.
    void run(std::size_t batch) override {
        with_batch(batch, [&](auto& b) { model_->forward(*b.in, *b.out); });
    }

    std::vector<float> output(std::size_t batch) override {
        std::vector<float> out;
        with_batch(batch, [&](auto& b) { out.assign(b.out->begin(), b.out->end()); });
        return out;
    }

    // typenet runs on OpenMP threads: groups of samples of a batch through sample-wise containers
    // (include/typenet/module.hpp), and the rows of large matrix products (Conv2d, Linear:
    // include/typenet/detail/kernels/gemm.hpp, detail/fusion.hpp), which a batch of one sample uses too. Built
    // without OpenMP, it has one thread.
    bool set_threads(int threads) override {
#ifdef _OPENMP
        omp_set_num_threads(threads);
        return true;
#else
        return threads == 1;
#endif
    }

private:
    // The input and output of a batch of B samples. A Model holds its weights and workspace
    // inline (megabytes; for the 224x224 models at batch 16, tens): heap, not stack, as these.
    template <std::size_t B>
    struct buffers {
        std::unique_ptr<typename M::template batch_input_type<B>> in =
            std::make_unique<typename M::template batch_input_type<B>>();
        std::unique_ptr<typename M::template batch_output_type<B>> out =
            std::make_unique<typename M::template batch_output_type<B>>();
    };
    template <std::size_t... I>
    static std::tuple<buffers<batches[I]>...> buffers_for(std::index_sequence<I...>);

    // Calls f with the buffers of `batch`, which must be one of the compile-time batches.
    template <class F>
    void with_batch(std::size_t batch, F&& f) {
        const bool found = [&]<std::size_t... I>(std::index_sequence<I...>) {
            return ((batch == batches[I] && (f(std::get<I>(buffers_)), true)) || ...);
        }(std::make_index_sequence<batches.size()>{});
        if (!found)
            throw std::runtime_error("typenet peer: no batch of " + std::to_string(batch) + " in " +
                                     std::string(Zoo::name) + "'s configurations");
    }

    std::unique_ptr<M> model_ = std::make_unique<M>();
    decltype(buffers_for(std::make_index_sequence<batches.size()>{})) buffers_;
};

// What typenet_peer.cpp's registry holds of a model: its description, and how to make its runner.
struct registered_model {
    typenet_model info;
    std::unique_ptr<runner> (*make)(const std::string& data_dir);
};

template <class Net, class Zoo>
registered_model entry() {
    using R = typenet_runner<Net, Zoo>;
    constexpr std::size_t flops = flops_per_sample<typename R::M>();
    return {{std::string(Zoo::name),
             {Zoo::input_shape.begin(), Zoo::input_shape.end()},
             R::M::output_shape.numel(),
             double(flops),
             {Zoo::configurations.begin(), Zoo::configurations.end()}},
            [](const std::string& dir) -> std::unique_ptr<runner> { return std::make_unique<R>(dir); }};
}

// The torchvision models, each in a translation unit of its own (typenet_<name>.cpp): their
// forward passes are the costliest part of the suite to compile, and compile in parallel so.
registered_model resnet18();
registered_model mobilenet_v2();
registered_model efficientnet_b0();

}  // namespace bench::typenet_peer
