// SGD: torch.optim.SGD's update, step for step (PyTorch 1.13, the single-tensor path it takes on
// the CPU), with the same defaults and hyper-parameters; learning rates per parameter group.
//
//     using M = typenet::Trainable<typenet::Linear<4, 2>, typenet::Input<4>, float, 8>;
//     auto model = std::make_unique<M>();
//     typenet::SGD sgd(*model, {.lr = 0.1, .momentum = 0.9, .nesterov = true});   // optim.SGD(...)
//     sgd.step();                  // after backward; parameters without requires_grad are left alone
//     sgd.param_groups()[0].options.lr = 0.01;
//
// For each learning parameter p with gradient g: g = -g if maximize; g += weight_decay p; with
// momentum, buf = g at the first step, then buf = momentum buf + (1 - dampening) g, and g = g +
// momentum buf (nesterov) or buf; p -= lr g. Hyper-parameters act in the model's scalar type, as
// PyTorch's scalars do on float tensors.
#pragma once

#include <cstddef>
#include <initializer_list>
#include <span>
#include <vector>

#include "detail/kernels/simd.hpp"
#include "detail/optimizer.hpp"
#include "error.hpp"

namespace typenet {

struct sgd_options {
    double lr = 0.001;  // PyTorch requires lr; give it
    double momentum = 0;
    double dampening = 0;
    double weight_decay = 0;
    bool nesterov = false;
    bool maximize = false;
};

template <class Model>
class SGD : public detail::optimizer_groups<Model, sgd_options> {
    using base = detail::optimizer_groups<Model, sgd_options>;
    using T = typename base::scalar;

public:
    static constexpr std::string_view name = "SGD";

    SGD(Model& model, const sgd_options& defaults, std::initializer_list<param_group<sgd_options>> groups = {})
        : base(model, defaults, groups), momentum_buffer_(this->block()), has_buffer_(Model::state_dict.size()) {
        for (const auto& g : this->groups_) {
            const sgd_options& o = g.options;
            if (o.lr < 0 || o.momentum < 0 || o.weight_decay < 0)
                throw error("typenet::SGD: lr, momentum and weight_decay must not be negative (as in PyTorch)");
            if (o.nesterov && (o.momentum <= 0 || o.dampening != 0))
                throw error("typenet::SGD: Nesterov momentum requires a momentum and zero dampening (as in PyTorch)");
        }
    }

    void step() {
        for (const auto& g : this->groups_)
            for (std::size_t index : g.entries) update(g.options, index);
    }

    // The state PyTorch's state_dict holds per parameter: momentum_buffer (after a first step).
    bool has_momentum_buffer(std::size_t entry) const { return has_buffer_[entry]; }
    std::span<T> momentum_buffer(std::size_t entry) {
        return this->in(momentum_buffer_, Model::state_dict[entry]);
    }
    void set_has_momentum_buffer(std::size_t entry, bool value) { has_buffer_[entry] = value; }
    // Parameters that took a step (PyTorch's state has an entry for them, None without momentum).
    bool stepped(std::size_t entry) const { return stepped_[entry]; }
    void set_stepped(std::size_t entry, bool value) { stepped_[entry] = value; }

private:
    void update(const sgd_options& o, std::size_t index) {
        const state_entry& e = Model::state_dict[index];
        if (!this->model_.learns(e)) return;  // PyTorch: no gradient, no step
        stepped_[index] = true;
        std::span<T> p = this->model_.values(e);
        std::span<const T> grad = this->model_.grad(e);
        std::span<T> buf = this->in(momentum_buffer_, e);
        const T weight_decay = T(o.weight_decay), momentum = T(o.momentum), damp = T(1 - o.dampening),
                lr = T(-o.lr);
        const bool first = !has_buffer_[index];
        if (o.momentum != 0) has_buffer_[index] = true;
        // One element, or one vector of them: the same arithmetic.
        auto update = [&]<class V>(V& param, V d, V& buffer) {
            if (o.maximize) d = -d;
            if (o.weight_decay != 0) d = d + weight_decay * param;
            if (o.momentum != 0) {
                buffer = first ? d : buffer * momentum + damp * d;
                d = o.nesterov ? d + momentum * buffer : buffer;
            }
            param = param + lr * d;
        };
        using S = detail::simd<T>;
        using V = typename S::type;
        const std::size_t whole = p.size() / S::lanes * S::lanes;
        for (std::size_t i = 0; i < whole; i += S::lanes) {
            V param = S::load(&p[i]), buffer = S::load(&buf[i]);
            update(param, S::load(&grad[i]), buffer);
            S::store(&p[i], param);
            S::store(&buf[i], buffer);
        }
        for (std::size_t i = whole; i < p.size(); ++i) update(p[i], grad[i], buf[i]);
    }

    std::vector<T> momentum_buffer_;
    std::vector<bool> has_buffer_;
    std::vector<bool> stepped_ = std::vector<bool>(Model::state_dict.size());
};

}  // namespace typenet
