// Adam and AdamW: torch.optim.Adam's and torch.optim.AdamW's updates, step for step (PyTorch 1.13,
// the single-tensor path it takes on the CPU), with the same defaults; amsgrad and maximize too;
// learning rates per parameter group.
//
//     using M = typenet::Trainable<typenet::Linear<4, 2>, typenet::Input<4>, float, 8>;
//     auto model = std::make_unique<M>();
//     typenet::Adam adam(*model, {.lr = 1e-3});                              // optim.Adam(model.parameters())
//     typenet::AdamW adamw(*model, {.lr = 1e-3, .weight_decay = 1e-2});      // optim.AdamW(...)
//     adam.step();
//
// For each learning parameter p with gradient g, at step t (counted per parameter): g = -g if
// maximize; Adam adds weight_decay p to g, AdamW multiplies p by 1 - lr weight_decay; m = beta1 m
// + (1 - beta1) g; v = beta2 v + (1 - beta2) g^2 (amsgrad: vmax = max(vmax, v), used for v);
// p -= lr / (1 - beta1^t) m / (sqrt(v) / sqrt(1 - beta2^t) + eps). Bias corrections are computed
// in double, the rest in the model's scalar type, as PyTorch does.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <initializer_list>
#include <span>
#include <vector>

#include "detail/optimizer.hpp"
#include "error.hpp"

namespace typenet {

struct adam_options {
    double lr = 1e-3;
    double beta1 = 0.9, beta2 = 0.999;
    double eps = 1e-8;
    double weight_decay = 0;
    bool amsgrad = false;
    bool maximize = false;
};
// AdamW's default weight decay is 1e-2.
struct adamw_options {
    double lr = 1e-3;
    double beta1 = 0.9, beta2 = 0.999;
    double eps = 1e-8;
    double weight_decay = 1e-2;
    bool amsgrad = false;
    bool maximize = false;
};

namespace detail {

template <class Model, class Options, bool Decoupled>
class adam_family : public optimizer_groups<Model, Options> {
    using base = optimizer_groups<Model, Options>;
    using T = typename base::scalar;

public:
    static constexpr std::string_view name = Decoupled ? "AdamW" : "Adam";

    adam_family(Model& model, const Options& defaults, std::initializer_list<param_group<Options>> groups = {})
        : base(model, defaults, groups),
          exp_avg_(this->block()),
          exp_avg_sq_(this->block()),
          steps_(Model::state_dict.size()) {
        bool amsgrad = false;
        for (const auto& g : this->groups_) {
            const Options& o = g.options;
            if (o.lr < 0 || (o.eps) < 0 || o.weight_decay < 0 || o.beta1 < 0 || o.beta1 >= 1 || o.beta2 < 0 ||
                o.beta2 >= 1)
                throw error(concat({"typenet::", name, ": lr, eps and weight_decay must not be negative and the betas "
                                    "must be in [0, 1) (as in PyTorch)"}));
            amsgrad = amsgrad || o.amsgrad;
        }
        if (amsgrad) max_exp_avg_sq_ = this->block();
    }

    void step() {
        for (const auto& g : this->groups_)
            for (std::size_t index : g.entries) update(g.options, index);
    }

    // The state PyTorch's state_dict holds per parameter (after a first step): step, exp_avg,
    // exp_avg_sq, and max_exp_avg_sq with amsgrad.
    double step_count(std::size_t entry) const { return steps_[entry]; }
    void set_step_count(std::size_t entry, double step) { steps_[entry] = step; }
    std::span<T> exp_avg(std::size_t entry) { return this->in(exp_avg_, Model::state_dict[entry]); }
    std::span<T> exp_avg_sq(std::size_t entry) { return this->in(exp_avg_sq_, Model::state_dict[entry]); }
    // Empty unless a group has amsgrad.
    std::span<T> max_exp_avg_sq(std::size_t entry) {
        if (max_exp_avg_sq_.empty()) return {};
        return this->in(max_exp_avg_sq_, Model::state_dict[entry]);
    }

private:
    void update(const Options& o, std::size_t index) {
        const state_entry& e = Model::state_dict[index];
        if (!this->model_.learns(e)) return;  // PyTorch: no gradient, no step
        std::span<T> p = this->model_.values(e);
        std::span<const T> grad = this->model_.grad(e);
        std::span<T> m = this->in(exp_avg_, e), v = this->in(exp_avg_sq_, e);
        std::span<T> vmax = o.amsgrad ? this->in(max_exp_avg_sq_, e) : std::span<T>();
        const double step = steps_[index] += 1;
        const double bias_correction1 = 1 - std::pow(o.beta1, step), bias_correction2 = 1 - std::pow(o.beta2, step);
        const T step_size = T(-(o.lr / bias_correction1)), bias_correction2_sqrt = T(std::sqrt(bias_correction2));
        const T beta1 = T(o.beta1), beta2 = T(o.beta2), one_minus_beta1 = T(1 - o.beta1),
                one_minus_beta2 = T(1 - o.beta2), eps = T(o.eps), weight_decay = T(o.weight_decay),
                decay = T(1 - o.lr * o.weight_decay);
        for (std::size_t i = 0; i < p.size(); ++i) {
            T g = o.maximize ? -grad[i] : grad[i];
            if constexpr (Decoupled) {
                p[i] = p[i] * decay;
            } else {
                if (o.weight_decay != 0) g = g + weight_decay * p[i];
            }
            m[i] = m[i] * beta1 + one_minus_beta1 * g;
            v[i] = v[i] * beta2 + one_minus_beta2 * g * g;  // addcmul_: (value g) g
            T second = v[i];
            if (o.amsgrad) second = vmax[i] = std::max(vmax[i], v[i]);
            const T denom = std::sqrt(second) / bias_correction2_sqrt + eps;
            p[i] = p[i] + step_size * m[i] / denom;  // addcdiv_: (value m) / denom
        }
    }

    std::vector<T> exp_avg_, exp_avg_sq_, max_exp_avg_sq_;
    std::vector<double> steps_;
};

}  // namespace detail

template <class Model>
class Adam : public detail::adam_family<Model, adam_options, false> {
    using detail::adam_family<Model, adam_options, false>::adam_family;
};
template <class Model>
class AdamW : public detail::adam_family<Model, adamw_options, true> {
    using detail::adam_family<Model, adamw_options, true>::adam_family;
};

template <class Model>
Adam(Model&, const adam_options&) -> Adam<Model>;
template <class Model>
AdamW(Model&, const adamw_options&) -> AdamW<Model>;
template <class Model>
Adam(Model&, const adam_options&, std::initializer_list<param_group<adam_options>>) -> Adam<Model>;
template <class Model>
AdamW(Model&, const adamw_options&, std::initializer_list<param_group<adamw_options>>) -> AdamW<Model>;

}  // namespace typenet
