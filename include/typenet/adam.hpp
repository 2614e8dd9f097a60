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

#include "detail/kernels/simd.hpp"
#include "detail/optimizer.hpp"
#include "math.hpp"
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
        // One element, or one vector of them: the same arithmetic.
        auto update = [&]<class V>(V& param, V g, V& mean, V& second_moment, V* maximum, auto sqrt) {
            if (o.maximize) g = -g;
            if constexpr (Decoupled) {
                param = param * decay;
            } else {
                if (o.weight_decay != 0) g = g + weight_decay * param;
            }
            mean = mean * beta1 + one_minus_beta1 * g;
            second_moment = second_moment * beta2 + one_minus_beta2 * g * g;  // addcmul_: (value g) g
            V second = second_moment;
            if (maximum) second = *maximum = math::select(*maximum < second, second, *maximum);
            const V denom = sqrt(second) / bias_correction2_sqrt + eps;
            param = param + step_size * mean / denom;  // addcdiv_: (value m) / denom
        };
        using S = detail::simd<T>;
        using V = typename S::type;
        const std::size_t whole = p.size() / S::lanes * S::lanes;
        for (std::size_t i = 0; i < whole; i += S::lanes) {
            V param = S::load(&p[i]), mean = S::load(&m[i]), second = S::load(&v[i]), maximum{};
            if (o.amsgrad) maximum = S::load(&vmax[i]);
            update(param, S::load(&grad[i]), mean, second, o.amsgrad ? &maximum : nullptr, [](V x) { return S::sqrt(x); });
            S::store(&p[i], param);
            S::store(&m[i], mean);
            S::store(&v[i], second);
            if (o.amsgrad) S::store(&vmax[i], maximum);
        }
        for (std::size_t i = whole; i < p.size(); ++i)
            update(p[i], grad[i], m[i], v[i], o.amsgrad ? &vmax[i] : nullptr, [](T x) { return std::sqrt(x); });
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
