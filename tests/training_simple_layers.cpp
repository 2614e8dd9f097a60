// Training of the data-movement layers (ChannelShuffle, Narrow, ConstantPad1d, Mean, LastStep):
// gradients against torch.autograd (training_support.hpp, cases of
// reference/training_simple_layers.py). The dropouts (Dropout, Dropout1d, Dropout2d, AlphaDropout,
// StochasticDepth): in eval() mode and with p = 0 against PyTorch too; in train() mode, whose masks
// PyTorch's generator draws and typenet's cannot reproduce, by the properties of typenet's own masks.
#include "training_support.hpp"

#include <cmath>
#include <cstdint>
#include <limits>
#include <numbers>
#include <vector>

namespace {
using namespace typenet;
using namespace training;

template <detail::fixed_string P1, detail::fixed_string P2, detail::fixed_string PA, detail::fixed_string PRow,
          detail::fixed_string PBatch>
using Dropouts = Sequential<Linear<6, 6>, Dropout1d<P1>, Dropout2d<P2>, AlphaDropout<PA>, StochasticDepth<PRow, "row">,
                            StochasticDepth<PBatch, "batch">, Flatten, Linear<24, 3>>;

// A standard normal value (Box-Muller), never 0, so that output / input is each value's factor.
double normal(random_bits& r) {
    const double u1 = double((r.next() >> 11) + 1) * 0x1.0p-53, u2 = double(r.next() >> 11) * 0x1.0p-53;
    const double x = std::sqrt(-2 * std::log(u1)) * std::cos(2 * std::numbers::pi * u2);
    return x == 0 ? 1 : x;
}

// One forward and backward pass of layer L alone on N samples of shape In, called as the training
// engine calls it (detail/training.hpp): standard normal inputs and gradients, masks from `masks`.
template <class L, shape In, std::size_t N, class T = double>
struct layer_run {
    static constexpr std::size_t count = N * In.numel();
    std::vector<T> in, out = std::vector<T>(count), grad_out, grad_in = std::vector<T>(count),
                       saved = std::vector<T>(L::template saved_elements<T>(In, N));

    layer_run(random_bits& masks, bool training, std::uint64_t data_seed = 1) {
        random_bits data{data_seed};
        for (std::size_t i = 0; i < count; ++i) in.push_back(T(normal(data)));
        for (std::size_t i = 0; i < count; ++i) grad_out.push_back(T(normal(data)));
        L::template train_propagate<T, In, N>(
            train_pass<L, T>{{nullptr}, in.data(), out.data(), saved.data(), nullptr, training, &masks});
        L::template backward<T, In, N>(backward_pass<L, T>{nullptr, {nullptr}, in.data(), out.data(), grad_out.data(),
                                                           grad_in.data(), saved.data(), nullptr, training});
    }
};

// Checks a run in train() mode of a dropout whose draws zero groups of `group` consecutive values:
// every value is 0 or its input times 1 / (1 - p) (computed in T, as the layer and PyTorch's
// noise.div_(1 - p) do), one factor for the whole group, and the input's gradient is the output's
// gradient times output / input. Counts the groups dropped and the values that break either rule.
struct group_counts {
    std::size_t dropped = 0, wrong_values = 0, wrong_gradients = 0;
};
template <class Run>
group_counts count_groups(const Run& run, std::size_t group, double p) {
    using T = typename decltype(Run::in)::value_type;
    const T scale = T(1) / T(1 - p);
    group_counts c;
    for (std::size_t g = 0; g < Run::count / group; ++g) {
        const bool drop = run.out[g * group] == 0;
        c.dropped += drop;
        for (std::size_t i = g * group; i < (g + 1) * group; ++i) {
            c.wrong_values += run.out[i] != run.in[i] * (drop ? T(0) : scale);
            const T expected = run.grad_out[i] * (run.out[i] / run.in[i]);
            c.wrong_gradients +=
                std::abs(run.grad_in[i] - expected) > 4 * std::numeric_limits<T>::epsilon() * std::abs(expected);
        }
    }
    return c;
}
// The same, checked; returns the number of groups dropped.
template <class Run>
std::size_t check_groups(const Run& run, std::size_t group, double p) {
    const group_counts c = count_groups(run, group, p);
    CHECK(c.wrong_values == 0);
    CHECK(c.wrong_gradients == 0);
    return c.dropped;
}

// `dropped` of `draws` independent draws that each drop with probability p: binomial, mean draws p,
// standard deviation sqrt(draws p (1 - p)). Beyond 6 of those happens with probability < 2e-9, so a
// failure means the masks do not drop with probability p (the seeds are fixed: a pass is no luck).
void check_fraction(std::size_t dropped, std::size_t draws, double p) {
    const double sigma = std::sqrt(double(draws) * p * (1 - p));
    INFO(dropped << " of " << draws << " dropped, p = " << p);
    CHECK(std::abs(double(dropped) - double(draws) * p) <= 6 * sigma);
}

// eval() mode, and p = 0 in train() mode: the identity, and the gradient passes through.
template <class L, shape In>
void check_identity() {
    random_bits masks{7};
    for (bool training : {false, true}) {
        if (training && L::p != 0) continue;
        const layer_run<L, In, 3> run(masks, training);
        CHECK(run.out == run.in);
        CHECK(run.grad_in == run.grad_out);
    }
}

// p = 1 in train() mode: everything zeroed (PyTorch multiplies by 0, torchvision by a zero noise).
template <class L, shape In>
void check_all_dropped() {
    random_bits masks{7};
    const layer_run<L, In, 3> run(masks, true);
    CHECK(run.out == std::vector<double>(run.count, 0.0));
    CHECK(run.grad_in == std::vector<double>(run.count, 0.0));
}

}  // namespace

TEST_CASE("gradients of ChannelShuffle, Narrow, ConstantPad1d, Mean and LastStep equal torch.autograd's") {
    check_case<Sequential<Linear<4, 5>, ChannelShuffle<2>, Narrow<1, 1, 4>, Narrow<-1, -3, 3>,
                          ConstantPad1d<2, 1, "-0.5">, Flatten, Linear<24, 3>>,
               Input<6, 4>, 3>("shuffle_narrow_pad", {loss_kind::cross_entropy}, true);
    check_case<Sequential<Linear<4, 5>, Mean<2>, LastStep, Linear<5, 2>>, Input<4, 3, 4>, 3>(
        "mean_last_step", {loss_kind::mse}, true);
}

TEST_CASE("dropouts in eval() mode, and with p = 0, train as PyTorch's: the identity") {
    check_case<Dropouts<"0.5", "0.3", "0.2", "0.4", "0.5">, Input<4, 6>, 3>("dropouts_eval", {loss_kind::cross_entropy},
                                                                           false);
    check_case<Dropouts<"0", "0", "0", "0", "0">, Input<4, 6>, 3>("dropouts_p0_train", {loss_kind::cross_entropy},
                                                                 true);
    check_case<Sequential<Linear<6, 6>, Dropout1d<>, Dropout2d<>, Linear<6, 3>>, Input<6>, 4>(
        "dropouts_rank1_eval", {loss_kind::cross_entropy}, false);

    check_identity<Dropout<"0.3">, shape{4}>();
    check_identity<Dropout1d<"0.3">, shape{4, 2}>();
    check_identity<Dropout2d<"0.3">, shape{4, 2, 2}>();
    check_identity<AlphaDropout<"0.3">, shape{4}>();
    check_identity<AlphaDropout<"0">, shape{4}>();
    check_identity<StochasticDepth<"0.3", "row">, shape{4, 2}>();
    check_identity<StochasticDepth<"0", "batch">, shape{4, 2}>();
}

TEST_CASE("Dropout, Dropout1d and Dropout2d in train() mode zero whole channels, PyTorch 1.13's") {
    random_bits masks{20261204};
    // Dropout: each value alone, float too.
    check_fraction(check_groups(layer_run<Dropout<"0.3">, shape{50}, 40>(masks, true), 1, 0.3), 2000, 0.3);
    check_fraction(check_groups(layer_run<Dropout<"0.3">, shape{50}, 40, float>(masks, true), 1, 0.3), 2000, 0.3);
    // Dropout1d: the L values of a channel of [C, L]; a [C] sample whole (PyTorch 1.13 reads (N, C)
    // as one unbatched (C, L), whose channels are the samples).
    check_fraction(check_groups(layer_run<Dropout1d<"0.3">, shape{50, 3}, 40>(masks, true), 3, 0.3), 2000, 0.3);
    check_fraction(check_groups(layer_run<Dropout1d<"0.6">, shape{5}, 2000>(masks, true), 5, 0.6), 2000, 0.6);
    // Dropout2d: the values after a channel's index, at any rank: [C, H, W] and [C, L] (PyTorch 1.13
    // reads a 3-D input as batched (N, C, L)); a [C] sample drops single values.
    check_fraction(check_groups(layer_run<Dropout2d<"0.3">, shape{20, 2, 3}, 100>(masks, true), 6, 0.3), 2000, 0.3);
    check_fraction(check_groups(layer_run<Dropout2d<"0.5">, shape{40, 2}, 50, float>(masks, true), 2, 0.5), 2000,
                   0.5);
    check_fraction(check_groups(layer_run<Dropout2d<"0.1">, shape{6}, 500>(masks, true), 1, 0.1), 3000, 0.1);

    check_all_dropped<Dropout<"1">, shape{4}>();
    check_all_dropped<Dropout1d<"1">, shape{4, 2}>();
    check_all_dropped<Dropout2d<"1">, shape{4, 2}>();
}

TEST_CASE("StochasticDepth in train() mode drops whole samples (\"row\") or the whole batch, torchvision's") {
    random_bits masks{20261205};
    check_fraction(check_groups(layer_run<StochasticDepth<"0.2", "row">, shape{2, 3}, 2000>(masks, true), 6, 0.2),
                   2000, 0.2);
    // "batch": one draw for the 4 samples of a forward pass; draws over many passes.
    group_counts all;
    for (std::uint64_t pass = 0; pass < 2000; ++pass) {
        const group_counts c =
            count_groups(layer_run<StochasticDepth<"0.4", "batch">, shape{2, 3}, 4>(masks, true, pass), 24, 0.4);
        all.dropped += c.dropped, all.wrong_values += c.wrong_values, all.wrong_gradients += c.wrong_gradients;
    }
    CHECK(all.wrong_values == 0);
    CHECK(all.wrong_gradients == 0);
    check_fraction(all.dropped, 2000, 0.4);

    check_all_dropped<StochasticDepth<"1", "row">, shape{4}>();
    check_all_dropped<StochasticDepth<"1", "batch">, shape{4}>();
}

TEST_CASE("AlphaDropout in train() mode keeps a standard input standard, PyTorch's formula") {
    // PyTorch's (ATen's alpha dropout, checked against torch.nn.functional.alpha_dropout): a kept
    // value x becomes a x + b, a dropped one a alpha' + b, with alpha' = -1.7580993408473766 and
    // a, b as below; the gradient is a for a kept value, 0 for a dropped one.
    constexpr double p = 0.2, alpha = -1.7580993408473766;
    const double a = 1 / std::sqrt((1 - p) * (1 + p * alpha * alpha)), b = -a * alpha * p;
    const double dropped_value = a * alpha + b;
    random_bits masks{20261206};
    const layer_run<AlphaDropout<"0.2">, shape{1000}, 100> run(masks, true);
    std::size_t dropped = 0, wrong = 0;
    double sum = 0, squares = 0;
    for (std::size_t i = 0; i < run.count; ++i) {
        const bool drop = run.out[i] == dropped_value;
        dropped += drop;
        const double value = drop ? dropped_value : a * run.in[i] + b, slope = drop ? 0 : a;
        wrong += std::abs(run.out[i] - value) > 1e-15 * (1 + std::abs(value));
        wrong += std::abs(run.grad_in[i] - run.grad_out[i] * slope) > 1e-15 * std::abs(run.grad_out[i]);
        sum += run.out[i];
        squares += run.out[i] * run.out[i];
    }
    CHECK(wrong == 0);
    check_fraction(dropped, run.count, p);
    // The outputs are independent, of mean 0 and variance 1 for a standard normal input: kept
    // (1 - p) as a x + b, x ~ N(0, 1), dropped (p) as d = a alpha' + b, so the mean is
    // (1 - p) b + p d = 0 and E[y^2] = (1 - p)(a^2 + b^2) + p d^2 = 1 by the choice of a and b. Their
    // sample mean deviates by 1 / sqrt(M) (one standard deviation, M outputs), the mean of their
    // squares by sqrt((E[y^4] - 1) / M), E[y^4] = (1 - p)(3 a^4 + 6 a^2 b^2 + b^4) + p d^4 (the
    // normal's moments 1, 0, 1, 0, 3); 6 of those bound them (probability < 2e-9 each).
    const double m = double(run.count), mean = sum / m, mean_square = squares / m;
    const double fourth =
        (1 - p) * (3 * std::pow(a, 4) + 6 * a * a * b * b + std::pow(b, 4)) + p * std::pow(dropped_value, 4);
    INFO("mean " << mean << ", mean square " << mean_square << ", E[y^4] " << fourth);
    CHECK(std::abs(mean) <= 6 / std::sqrt(m));
    CHECK(std::abs(mean_square - 1) <= 6 * std::sqrt((fourth - 1) / m));
    CHECK(std::abs((1 - p) * (a * a + b * b) + p * dropped_value * dropped_value - 1) < 1e-15);

    check_all_dropped<AlphaDropout<"1">, shape{4}>();
}

TEST_CASE("a Trainable draws the dropouts' masks from its generator, seeded by manual_seed") {
    using Net = Sequential<Dropout2d<"0.5">, StochasticDepth<"0.5", "row">>;
    using M = Trainable<Net, Input<4, 3>, double, 8>;
    auto model = std::make_unique<M>();
    M::batch_input_type<8> x;
    M::batch_output_type<8> y, again;
    for (std::size_t i = 0; i < x.size; ++i) x.elements[i] = double(i + 1);
    model->manual_seed(11);
    model->forward(x, y);
    model->manual_seed(11);
    model->forward(x, again);
    CHECK(std::equal(y.flat().begin(), y.flat().end(), again.flat().begin()));
    // The same draws, in the order of the layers, as the layers called alone.
    random_bits masks{11};
    std::vector<double> in(x.elements, x.elements + x.size), mid(x.size), out(x.size);
    std::vector<double> saved2d(Dropout2d<"0.5">::saved_elements<double>(shape{4, 3}, 8)), saved_row(8);
    Dropout2d<"0.5">::train_propagate<double, shape{4, 3}, 8>(
        {{nullptr}, in.data(), mid.data(), saved2d.data(), nullptr, true, &masks});
    StochasticDepth<"0.5", "row">::train_propagate<double, shape{4, 3}, 8>(
        {{nullptr}, mid.data(), out.data(), saved_row.data(), nullptr, true, &masks});
    CHECK(std::equal(out.begin(), out.end(), y.flat().begin()));
    CHECK(std::count(out.begin(), out.end(), 0.0) > 0);
    model->eval();
    model->forward(x, y);
    CHECK(std::equal(in.begin(), in.end(), y.flat().begin()));
}
