// The forward pass and a Stream's step allocate nothing: every operator new during them is counted.
#include <catch2/catch.hpp>

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <new>
#include <vector>

#include <typenet/typenet.hpp>

#include "../examples/simple_mnist_model.hpp"
#include "reference/attention.hpp"
#include "reference/conv_pool.hpp"
#include "reference/models.hpp"

namespace {
std::atomic<bool> counting{false};
std::atomic<std::size_t> allocations{0};
}  // namespace

// Every replaceable allocation function is replaced, so that no other definition (a sanitizer's
// runtime, say) serves part of the program.
namespace {
void* allocate(std::size_t size, std::size_t alignment) {
    if (counting) ++allocations;
    size = size ? size : 1;
    void* p = alignment <= alignof(std::max_align_t)
                  ? std::malloc(size)
                  : std::aligned_alloc(alignment, (size + alignment - 1) / alignment * alignment);
    if (!p) throw std::bad_alloc();
    return p;
}
}  // namespace

void* operator new(std::size_t n) { return allocate(n, 0); }
void* operator new[](std::size_t n) { return allocate(n, 0); }
void* operator new(std::size_t n, std::align_val_t a) { return allocate(n, std::size_t(a)); }
void* operator new[](std::size_t n, std::align_val_t a) { return allocate(n, std::size_t(a)); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
    try { return allocate(n, 0); } catch (...) { return nullptr; }
}
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
    try { return allocate(n, 0); } catch (...) { return nullptr; }
}
void* operator new(std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
    try { return allocate(n, std::size_t(a)); } catch (...) { return nullptr; }
}
void* operator new[](std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
    try { return allocate(n, std::size_t(a)); } catch (...) { return nullptr; }
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }

TEST_CASE("forward allocates nothing, for one sample and for a batch") {
    using M = typenet::Model<reference::simple_mnist_batch_norm, typenet::Input<1, 28, 28>, float, 8>;
    auto model = std::make_unique<M>();
    auto batch = std::make_unique<M::batch_input_type<8>>();
    auto batch_out = std::make_unique<M::batch_output_type<8>>();
    M::input_type one{};
    M::output_type out;

    // The counter sees allocations: a sanity check that the test can fail.
    counting = true;
    auto probe = std::make_unique<int>(1);
    counting = false;
    REQUIRE(allocations == 1);

    allocations = 0;
    counting = true;
    model->forward(one, out);
    model->forward(*batch, *batch_out);
    counting = false;
    CHECK(allocations == 0);
}

TEST_CASE("forward allocates nothing: a Transformer text classifier from token ids") {
    using M = typenet::Model<reference::attention::text_classifier, typenet::Tokens<64>, float, 4>;
    auto model = std::make_unique<M>();
    auto batch = std::make_unique<M::batch_input_type<4>>();
    auto batch_out = std::make_unique<M::batch_output_type<4>>();
    for (std::size_t i = 0; i < batch->size; ++i) (*batch)[i] = std::int64_t(i % 100);
    M::input_type one{};
    M::output_type out;

    // Any number of samples (4, then 2 and 1), and the const forward in a caller's workspace.
    std::vector<std::int64_t> ids(7 * one.size, 5);
    std::vector<float> outs(7 * out.size);
    auto workspace = std::make_unique<M::workspace_type>();
    const M& shared = *model;

    allocations = 0;
    counting = true;
    model->forward(one, out);
    model->forward(*batch, *batch_out);
    model->forward(ids, outs);
    shared.forward(ids, outs, *workspace);
    shared.forward(one, out, *workspace);
    counting = false;
    CHECK(allocations == 0);
}

TEST_CASE("forward allocates nothing: attention with a key padding mask or valid lengths") {
    using M = typenet::Model<reference::attention::mha_key_padding, typenet::Input<64, 32>, float, 2>;
    auto model = std::make_unique<M>();
    auto batch = std::make_unique<M::batch_input_type<2>>();
    auto batch_out = std::make_unique<M::batch_output_type<2>>();
    auto mask = std::make_unique<M::batch_key_padding_mask_type<2>>();
    (*mask)(1, 63) = true;
    const std::array<std::size_t, 2> lengths{64, 10};

    allocations = 0;
    counting = true;
    model->forward(*batch, *batch_out, *mask);
    model->forward(*batch, *batch_out, lengths);
    counting = false;
    CHECK(allocations == 0);
}

TEST_CASE("a Stream's step allocates nothing") {
    using S = typenet::Stream<reference::stream_causal_conv, typenet::Input<4>>;
    auto stream = std::make_unique<S>();
    S::state_type state{};
    S::input_type x{};
    S::output_type y;
    allocations = 0;
    counting = true;
    for (int t = 0; t < 10; ++t) stream->step(state, x, y);
    y = stream->step(state, x);
    S::reset(state);
    counting = false;
    CHECK(allocations == 0);
}

TEST_CASE("argmax, softmax and topk allocate nothing") {
    const auto scores = typenet::Tensor<float, 4, 10>::from({0.5f, 1, 2, 3, 4, 5, 6, 7, 8, 9,  //
                                                             9, 8, 7, 6, 5, 4, 3, 2, 1, 0,     //
                                                             1, 1, 1, 1, 1, 1, 1, 1, 1, 1,     //
                                                             0, 0, 0, 0, 0, 0, 0, 0, 0, 2});
    const std::array<float, 10> row{3, 1, 4, 1, 5, 9, 2, 6, 5, 3};
    allocations = 0;
    counting = true;
    const auto classes = typenet::argmax(scores);
    const auto probabilities = typenet::softmax(scores);
    const auto top = typenet::topk<3>(scores);
    const std::size_t best = typenet::argmax(row);
    const auto row_probabilities = typenet::softmax(row);
    const auto row_top = typenet::topk<2>(row);
    counting = false;
    CHECK(allocations == 0);
    CHECK(classes[3] == 9);
    CHECK(probabilities[0] < probabilities[9]);
    CHECK(top.indices(0, 0) == 9);
    CHECK(best == 5);
    CHECK(row_probabilities[5] > row_probabilities[0]);
    CHECK(row_top.indices[1] == 7);
}

TEST_CASE("a training step allocates nothing: forward, loss, backward, optimizer, scheduler") {
    using Net = typenet::Sequential<typenet::Conv2d<1, 4, 3, typenet::padding<1>>, typenet::BatchNorm2d<4>,
                                    typenet::ReLU, typenet::MaxPool2d<2>, typenet::Flatten, typenet::Dropout<"0.5">,
                                    typenet::Linear<4 * 4 * 4, 3>>;
    using M = typenet::Trainable<Net, typenet::Input<1, 8, 8>, float, 4>;
    auto model = std::make_unique<M>();
    typenet::init_parameters(*model, 1);
    typenet::Adam adam(*model, {.lr = 1e-3, .amsgrad = true});
    typenet::SGD sgd(*model, {.lr = 0.1, .momentum = 0.9});
    typenet::CosineAnnealingLR schedule(adam, 10);
    auto x = std::make_unique<M::batch_input_type<4>>();
    auto logits = std::make_unique<M::batch_output_type<4>>();
    auto grad = std::make_unique<M::batch_output_type<4>>();
    for (std::size_t i = 0; i < x->size; ++i) x->elements[i] = float(i % 7) - 3;
    const std::array<std::int64_t, 4> labels{0, 1, 2, 1};
    model->train();

    allocations = 0;
    counting = true;
    for (int step = 0; step < 2; ++step) {
        adam.zero_grad();
        model->forward(*x, *logits);
        typenet::cross_entropy(*logits, labels, *grad, {.label_smoothing = 0.1});
        model->backward(*grad);
        adam.step();
        sgd.step();
        schedule.step();
    }
    counting = false;
    CHECK(allocations == 0);
}
