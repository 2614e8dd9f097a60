// What SGD and Adam share (sgd.hpp, adam.hpp): parameter groups, one per module path, and the
// per-parameter state as PyTorch's optimizer.state_dict() describes it, for checkpoints
// (training_checkpoint.hpp). All memory is allocated when the optimizer is made; step() allocates
// nothing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "../error.hpp"
#include "../state_dict.hpp"

namespace typenet {

// The parameters of one module (its path, "" for the whole model) and their hyper-parameters, like
// {'params': model.features.parameters(), 'lr': 0.01}. Fields left out take the option struct's
// defaults (PyTorch's), not the optimizer's.
template <class Options>
struct param_group {
    std::string module;
    Options options;
};

// One hyper-parameter as param_groups shows it (betas is a pair; foreach is None).
struct hyper_parameter {
    enum class kind { real, boolean, none, pair };
    std::string_view name;
    kind type = kind::real;
    double value = 0, second = 0;
};

namespace detail {

template <class Model, class Options>
class optimizer_groups {
public:
    using scalar = typename Model::scalar_type;
    static constexpr auto& state_dict = Model::state_dict;

    struct group {
        std::string module;
        Options options;
        std::vector<std::size_t> entries;  // indices into state_dict, in order
    };

    // PyTorch's param_groups: index i of the optimizer's parameters is params()[i].
    std::vector<group>& param_groups() { return groups_; }
    const std::vector<group>& param_groups() const { return groups_; }
    std::span<const std::size_t> params() const { return params_; }

    // Zeroes the gradients of this optimizer's parameters (optimizer.zero_grad(set_to_none=False)).
    void zero_grad() {
        for (std::size_t e : params_)
            for (scalar& g : model_.grad(state_dict[e])) g = scalar(0);
    }

protected:
    optimizer_groups(Model& model, const Options& defaults, std::initializer_list<param_group<Options>> groups)
        : model_(model) {
        if (groups.size() == 0) add(param_group<Options>{"", defaults});
        for (const param_group<Options>& g : groups) add(g);
        std::vector<bool> seen(state_dict.size());
        for (const group& g : groups_)
            for (std::size_t e : g.entries) {
                if (seen[e])
                    throw error(concat({"typenet: optimizer: ", state_dict[e].key,
                                        " is in more than one parameter group; give each module once"}));
                seen[e] = true;
                params_.push_back(e);
            }
    }

    // One block laid out like the state block, for a per-parameter buffer (momentum, moments).
    std::vector<scalar> block() const { return std::vector<scalar>(Model::state_bytes / sizeof(scalar), scalar(0)); }
    static std::span<scalar> in(std::vector<scalar>& block, const state_entry& e) {
        return {block.data() + e.offset / sizeof(scalar), e.numel};
    }
    static std::span<const scalar> in(const std::vector<scalar>& block, const state_entry& e) {
        return {block.data() + e.offset / sizeof(scalar), e.numel};
    }

    Model& model_;
    std::vector<group> groups_;
    std::vector<std::size_t> params_;

private:
    void add(const param_group<Options>& g) {
        group out{g.module, g.options, {}};
        for (const state_entry& e : Model::named_parameters(g.module))
            out.entries.push_back(std::size_t(&e - state_dict.data()));
        groups_.push_back(std::move(out));
    }
};

}  // namespace detail
}  // namespace typenet
