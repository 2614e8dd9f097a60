// Threads sharing one Model: each runs the const forward in its own workspace, at the same time as
// the others, and gets exactly what one thread alone gets. scripts/test.sh also runs this program
// under ThreadSanitizer, built without OpenMP (TSan does not see the OpenMP runtime's own
// synchronisation, so it would report races inside it that are none); the other builds have
// OpenMP, where each thread's batches of 32 start an OpenMP team of their own (model.hpp).
#include <catch2/catch.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <random>
#include <thread>
#include <vector>

#include <typenet/typenet.hpp>

using namespace typenet;

// Small, and touching every kind of scratch: token ids, an Embedding, a convolution's im2col rows,
// and a chain of Linear layers large enough at 32 samples (2.2M multiply-adds) for OpenMP.
using Net = Sequential<Embedding<50, 16>, Transpose<1, 2>, Conv1d<16, 32, 3, padding<1>>, ReLU, Flatten,
                       Linear<256, 256>, ReLU, Linear<256, 10>>;
using M = Model<Net, Tokens<8>, float, 32>;

namespace {
constexpr std::size_t threads = 4, rounds = 3;
// 32 + 4 + 1: a whole chunk and two of the smaller batches.
constexpr std::size_t samples = 37;

std::vector<std::int64_t> random_ids(unsigned seed) {
    std::mt19937 gen(seed);
    std::uniform_int_distribution<std::int64_t> id(0, 49);
    std::vector<std::int64_t> ids(samples * M::input_type::size);
    for (auto& v : ids) v = id(gen);
    return ids;
}
}  // namespace

TEST_CASE("threads share one Model, each with its own workspace, and get one thread's results") {
    auto model = std::make_unique<M>();
    std::mt19937 gen(1);
    std::normal_distribution<float> normal(0.0f, 0.2f);
    for (const state_entry& e : M::state_dict) {
        auto* values = reinterpret_cast<float*>(model->bytes(e).data());
        for (std::size_t i = 0; i < e.numel; ++i) values[i] = normal(gen);
    }
    const M& shared = *model;

    // Each thread its own inputs, so that threads that disturbed each other would get wrong outputs.
    std::vector<std::vector<std::int64_t>> inputs;
    std::vector<std::vector<float>> expected;
    auto workspace = std::make_unique<M::workspace_type>();
    for (std::size_t t = 0; t < threads; ++t) {
        inputs.push_back(random_ids(unsigned(10 + t)));
        expected.emplace_back(samples * M::output_type::size);
        shared.forward(inputs[t], expected[t], *workspace);
    }
    REQUIRE(expected[0] != expected[1]);

    std::vector<std::vector<float>> outputs(threads * rounds, std::vector<float>(samples * M::output_type::size));
    std::vector<std::thread> pool;
    for (std::size_t t = 0; t < threads; ++t)
        pool.emplace_back([&, t] {
            auto own = std::make_unique<M::workspace_type>();
            for (std::size_t r = 0; r < rounds; ++r) shared.forward(inputs[t], outputs[t * rounds + r], *own);
        });
    for (std::thread& thread : pool) thread.join();
    for (std::size_t t = 0; t < threads; ++t)
        for (std::size_t r = 0; r < rounds; ++r) CHECK(outputs[t * rounds + r] == expected[t]);
}
