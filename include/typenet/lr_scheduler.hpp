// Learning-rate schedules: torch.optim.lr_scheduler's StepLR and CosineAnnealingLR, computed as
// PyTorch 1.13 computes them (the recursive form step() uses), for any typenet optimizer. Like
// PyTorch's, a scheduler takes each group's learning rate when it is made as its base, and
// step() is called once per epoch, after the optimizer's steps.
//
//     using M = typenet::Trainable<typenet::Linear<4, 2>, typenet::Input<4>, float, 8>;
//     auto model = std::make_unique<M>();
//     typenet::SGD sgd(*model, {.lr = 0.1});
//     typenet::StepLR schedule(sgd, 30, 0.1);          // lr_scheduler.StepLR(sgd, step_size=30, gamma=0.1)
//     for (int epoch = 0; epoch < 3; ++epoch) {
//         // ... an epoch of sgd.step() ...
//         schedule.step();
//     }
//     double lr = schedule.get_last_lr()[0];           // 0.1 until epoch 30, then 0.01, ...
//     (void)lr;
#pragma once

#include <cmath>
#include <cstddef>
#include <numbers>
#include <vector>

#include "error.hpp"

namespace typenet {

namespace detail {
template <class Optimizer>
class lr_schedule {
public:
    long last_epoch() const { return last_epoch_; }
    std::vector<double> get_last_lr() const {
        std::vector<double> lrs;
        for (const auto& g : optimizer_.param_groups()) lrs.push_back(g.options.lr);
        return lrs;
    }

protected:
    explicit lr_schedule(Optimizer& optimizer) : optimizer_(optimizer) {
        for (const auto& g : optimizer.param_groups()) base_lrs_.push_back(g.options.lr);
    }
    Optimizer& optimizer_;
    std::vector<double> base_lrs_;
    long last_epoch_ = 0;
};
}  // namespace detail

// lr = lr * gamma every step_size epochs.
template <class Optimizer>
class StepLR : public detail::lr_schedule<Optimizer> {
public:
    StepLR(Optimizer& optimizer, std::size_t step_size, double gamma = 0.1)
        : detail::lr_schedule<Optimizer>(optimizer), step_size_(long(step_size)), gamma_(gamma) {
        if (step_size == 0) throw error("typenet::StepLR: step_size must be at least 1");
    }
    void step() {
        ++this->last_epoch_;
        if (this->last_epoch_ % step_size_ != 0) return;
        for (auto& g : this->optimizer_.param_groups()) g.options.lr = g.options.lr * gamma_;
    }

private:
    long step_size_;
    double gamma_;
};

// From each base lr down to eta_min along half a cosine over t_max epochs, then back up, and so on.
template <class Optimizer>
class CosineAnnealingLR : public detail::lr_schedule<Optimizer> {
public:
    CosineAnnealingLR(Optimizer& optimizer, std::size_t t_max, double eta_min = 0)
        : detail::lr_schedule<Optimizer>(optimizer), t_max_(long(t_max)), eta_min_(eta_min) {
        if (t_max == 0) throw error("typenet::CosineAnnealingLR: T_max must be at least 1");
    }
    void step() {
        const long epoch = ++this->last_epoch_;
        const double pi = std::numbers::pi, t_max = double(t_max_);
        auto& groups = this->optimizer_.param_groups();
        const long period = 2 * t_max_, phase = ((epoch - 1 - t_max_) % period + period) % period;  // Python's %
        for (std::size_t i = 0; i < groups.size(); ++i) {
            double& lr = groups[i].options.lr;
            if (phase == 0)
                lr = lr + (this->base_lrs_[i] - eta_min_) * (1 - std::cos(pi / t_max)) / 2;
            else
                lr = (1 + std::cos(pi * double(epoch) / t_max)) / (1 + std::cos(pi * double(epoch - 1) / t_max)) *
                         (lr - eta_min_) +
                     eta_min_;
        }
    }

private:
    long t_max_;
    double eta_min_;
};

}  // namespace typenet
