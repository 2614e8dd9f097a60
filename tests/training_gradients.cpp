// Gradients against torch.autograd (training_support.hpp): linear layers, activations, losses,
// freezing; the cases are reference/training.py's GRADIENTS.
#include <array>
#include <cstddef>
#include <span>
#include <vector>

#include "training_support.hpp"

namespace {
using namespace typenet;
using namespace training;
using MLP = Sequential<Linear<6, 16>, Tanh, Linear<16, 16>, Sigmoid, Linear<16, 4>>;

}  // namespace

TEST_CASE("gradients of linear layers, activations and losses equal torch.autograd's") {
    check_case<MLP, Input<6>, 5>("mlp_tanh_sigmoid", {loss_kind::cross_entropy}, true);
    check_case<MLP, Input<6>, 5>("mlp_label_smoothing", {loss_kind::cross_entropy, 0.1}, true);
    check_case<Sequential<Linear<5, 12>, ReLU, Dropout<"0.5">, Linear<12, 3, bias<false>>>, Input<5>, 4>(
        "relu_dropout_mse", {loss_kind::mse}, false);
    check_case<Sequential<Flatten, Linear<8, 8>, ReLU, Linear<8, 2>>, Input<2, 4>, 3>("flatten_bce", {loss_kind::bce},
                                                                                     true);
}

// Each convolution under test has one before it, so that its input's gradient is computed too.
TEST_CASE("gradients of convolutions equal torch.autograd's") {
    check_case<Sequential<Conv2d<2, 3, 3, padding<1>>, ReLU, Conv2d<3, 4, 3, padding<1>>, ReLU, Flatten, Linear<100, 3>>,
               Input<2, 5, 5>, 3>(
        "conv_relu", {loss_kind::cross_entropy}, true);
    using Strided = Conv2d<4, 6, size2{3, 2}, stride<2>, padding<1, 0>, dilation<1, 2>, groups<2>, bias<false>>;
    check_case<Sequential<Conv2d<4, 4, 1>, Strided, Tanh, Flatten, Linear<72, 3>>, Input<4, 7, 8>, 2>("conv_stride_dilation_groups",
                                                                                  {loss_kind::cross_entropy}, true);
    check_case<Sequential<Conv2d<3, 3, 1>, Conv2d<3, 3, 3, padding<1>, groups<3>>, Flatten, Linear<108, 2>>, Input<3, 6, 6>, 2>(
        "conv_depthwise", {loss_kind::mse}, true);
    check_case<Sequential<Conv1d<3, 3, 1>, Conv1d<3, 4, 3, padding<2>, dilation<2>>, ReLU, Flatten, Linear<40, 3>>, Input<3, 10>, 3>(
        "conv1d", {loss_kind::cross_entropy}, true);
}

TEST_CASE("frozen parameters get no gradient, and the others PyTorch's") {
    // At run time, like `for p in model[0].parameters(): p.requires_grad = False`.
    check_case<MLP, Input<6>, 5>("frozen_first", {loss_kind::cross_entropy}, true, {"0"});
    check_case<MLP, Input<6>, 5>("frozen_middle", {loss_kind::cross_entropy}, true, {"2"});
    // In the type: the same gradients as the run-time freeze, and no way to unfreeze.
    using FrozenFirst = Sequential<Frozen<Linear<6, 16>>, Tanh, Linear<16, 16>, Sigmoid, Linear<16, 4>>;
    check_case<FrozenFirst, Input<6>, 5>("frozen_first", {loss_kind::cross_entropy}, true);
    using M = Trainable<FrozenFirst, Input<6>, float, 5>;
    static_assert(M::frozen_in_type[0] && M::frozen_in_type[1] && !M::frozen_in_type[2]);
    auto model = std::make_unique<M>();
    CHECK_FALSE(model->requires_grad("0.weight"));
    CHECK(model->requires_grad("2.weight"));
    CHECK_THROWS_WITH(model->set_requires_grad("0", true), Catch::Contains("Frozen<"));
}

TEST_CASE("gradients accumulate across backward calls until zero_grad, as in PyTorch") {
    using M = Trainable<MLP, Input<6>, double, 5>;
    auto model = std::make_unique<M>();
    load_state_dict(*model, reference_dir + "/mlp_tanh_sigmoid.pth");
    auto x = std::make_unique<M::batch_input_type<5>>();
    auto y = std::make_unique<M::batch_output_type<5>>();
    auto grad = std::make_unique<M::batch_output_type<5>>();
    for (std::size_t i = 0; i < x->size; ++i) x->elements[i] = double(i % 5) * 0.25 - 0.5;
    const std::array<std::int64_t, 5> labels{0, 1, 2, 3, 0};
    auto step = [&] {
        model->forward(*x, *y);
        cross_entropy(*y, labels, *grad);
        model->backward(*grad);
    };
    step();
    const std::vector<std::byte> once(model->gradients().begin(), model->gradients().end());
    step();  // the same batch again: every gradient doubles (up to rounding: the products add into the
             // gradient as they go, where PyTorch adds a finished one)
    for (const state_entry& e : M::state_dict) {
        if (!e.is_parameter()) continue;
        const double* first = reinterpret_cast<const double*>(once.data() + e.offset);
        std::vector<double> doubled(e.numel);
        for (std::size_t i = 0; i < e.numel; ++i) doubled[i] = 2 * first[i];
        INFO(e.key);
        CHECK(test::relative_error<double, double>(model->grad(e), doubled) <= 1e-14);
    }
    model->zero_grad();
    for (const state_entry& e : M::state_dict)
        if (e.is_parameter())
            for (double g : model->grad(e)) REQUIRE(g == 0);
    // One forward allows one backward (PyTorch frees the graph); a second is an error that says so.
    model->forward(*x, *y);
    model->backward(*grad);
    CHECK_THROWS_WITH(model->backward(*grad), Catch::Contains("no forward pass to go back through"));
}
