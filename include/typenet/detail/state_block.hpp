// What Model and Stream share: the state_dict of a network type (keys, shapes, offsets), the one
// contiguous, 64-byte aligned block holding every entry, and the ways to reach it (state(),
// bytes(), at<Key>(), module(), entry(), requires_grad). load_state_dict, save_state_dict and the
// other formats use only this surface, so they take a Model and a Stream alike.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>
#include <type_traits>

#include "../dtype.hpp"
#include "../error.hpp"
#include "../state_dict.hpp"
#include "analysis.hpp"
#include "training.hpp"
#include "fixed_string.hpp"

namespace typenet::detail {

// Analysis: detail::analysis of the network for the input its owner runs (a sample, or one time
// step); the state_dict itself does not depend on that input.
template <Module Net, class Analysis, class T>
class state_block {
    static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>,
                  "typenet::Model and typenet::Stream: the scalar type must be float or double");

public:
    using network = Net;
    using scalar_type = T;

    // Every module of the tree in visiting order, the model itself first.
    static constexpr auto modules = [] {
        std::array<module_info, Analysis::counts.modules> out{};
        for (std::size_t i = 0; i < out.size(); ++i) {
            const auto& row = Analysis::table.modules[i];
            out[i] = {Analysis::text(row.path_offset, row.path_length), row.type_name, row.depth,
                      row.input, row.output, row.first_entry, row.end_entry, row.is_layer, row.version};
        }
        return out;
    }();

    // The state_dict entries in PyTorch's order, with their place in the state block.
    static constexpr auto state_dict = [] {
        std::array<state_entry, Analysis::counts.entries> out{};
        std::size_t offset = 0;
        for (std::size_t i = 0; i < out.size(); ++i) {
            const auto& row = Analysis::table.entries[i];
            const dtype type = row.spec.int64 ? dtype::int64 : dtype_of<T>;
            const std::size_t numel = row.spec.shape.numel();
            out[i] = {Analysis::text(row.key_offset, row.key_length), row.spec.shape, type, row.spec.kind, numel,
                      numel * size_of(type), offset, row.module, row.spec.initial_value};
            offset += entry_bytes(row.spec, sizeof(T));
        }
        return out;
    }();

    static constexpr std::size_t state_bytes = detail::state_bytes<Net, T>;

    static constexpr std::size_t parameter_count = count_parameters(state_dict, modules[0]);

    // What the files typenet saves carry, and what loading checks (state_dict.hpp).
    static constexpr std::uint64_t fingerprint = architecture_fingerprint(state_dict);

    // The module at `path` ("features", "features.0"; "" is the model). Unknown paths do not compile
    // in a constant expression and throw state_dict_error at run time.
    static constexpr const module_info& module(std::string_view path) {
        const module_info* m = find_module(modules, path);
        if (!m) throw state_dict_error(detail::concat({"typenet: the model has no module \"", path, "\""}));
        return *m;
    }
    static constexpr const state_entry& entry(std::string_view key) {
        const state_entry* e = find_entry(state_dict, key);
        if (!e) throw state_dict_error(detail::concat({"typenet: the model's state_dict has no key \"", key, "\""}));
        return *e;
    }
    static constexpr std::size_t parameter_count_of(std::string_view module_path) {
        return count_parameters(state_dict, module(module_path));
    }
    // Like PyTorch's model.features.named_parameters(): the parameter entries of a sub-module.
    static constexpr auto named_parameters(std::string_view module_path = {}) {
        return parameters_of(state_dict, module(module_path));
    }

    // Every entry at its initial value: zeros, and ones for BatchNorm's weight and running_var.
    state_block() { reset_state(); }

    void reset_state() {
        std::memset(state_, 0, sizeof state_);
        for (const state_entry& e : state_dict) {
            if (e.initial_value == 0) continue;
            if (e.dtype == dtype::int64) std::fill_n(data<std::int64_t>(e), e.numel, e.initial_value);
            else std::fill_n(data<T>(e), e.numel, T(e.initial_value));
        }
    }

    // The state block: all entries, contiguous, at the offsets of state_dict.
    std::span<std::byte, state_bytes> state() { return std::span<std::byte, state_bytes>(state_, state_bytes); }
    std::span<const std::byte, state_bytes> state() const {
        return std::span<const std::byte, state_bytes>(state_, state_bytes);
    }

    // The bytes of one entry (numel * size_of(dtype)), by entry or by key.
    std::span<std::byte> bytes(const state_entry& e) { return state().subspan(e.offset, e.nbytes); }
    std::span<const std::byte> bytes(const state_entry& e) const { return state().subspan(e.offset, e.nbytes); }
    std::span<std::byte> bytes(std::string_view key) { return bytes(entry(key)); }
    std::span<const std::byte> bytes(std::string_view key) const { return bytes(entry(key)); }

    // Typed access checked at compile time: model.at<"features.0.weight">() is a std::span<float, 288>.
    template <detail::fixed_string Key>
    auto at() {
        constexpr const state_entry& e = state_dict[index_of_key<Key>()];
        using element = std::conditional_t<e.dtype == dtype::int64, std::int64_t, T>;
        return std::span<element, e.numel>(data<element>(e), e.numel);
    }
    template <detail::fixed_string Key>
    auto at() const {
        constexpr const state_entry& e = state_dict[index_of_key<Key>()];
        using element = std::conditional_t<e.dtype == dtype::int64, std::int64_t, T>;
        return std::span<const element, e.numel>(data<element>(e), e.numel);
    }

    // requires_grad of every parameter: whether training (trainable.hpp) computes its gradient and
    // optimizers change it. Like `for p in model.features.parameters(): p.requires_grad = False`.
    // Parameters inside a Frozen<M> (combinators/frozen.hpp) are false and cannot be turned on.
    void set_requires_grad(std::string_view module_path, bool value) {
        for (const state_entry& e : named_parameters(module_path)) {
            if (value && frozen_in_type[index_of(e)])
                throw error(detail::concat({"typenet: set_requires_grad(\"", module_path, "\", true): ", e.key,
                                            " is inside a Frozen<...> module, frozen in the network's type; remove "
                                            "Frozen<> from the type to train it"}));
            requires_grad_[index_of(e)] = value;
        }
    }
    bool requires_grad(std::string_view key) const {
        const state_entry& e = entry(key);
        return e.is_parameter() && requires_grad_[index_of(e)];
    }

    // Which entries are inside a Frozen<M> module.
    static constexpr std::array<bool, state_dict.size()> frozen_in_type =
        detail::frozen_entries<Net, state_dict.size()>;

protected:
    const std::byte* parameters() const { return state_; }
    std::byte* mutable_parameters() { return state_; }
    const std::array<bool, state_dict.size()>& requires_grad_flags() const { return requires_grad_; }

private:
    template <class E>
    E* data(const state_entry& e) {
        return reinterpret_cast<E*>(state_ + e.offset);
    }
    template <class E>
    const E* data(const state_entry& e) const {
        return reinterpret_cast<const E*>(state_ + e.offset);
    }
    static constexpr std::size_t index_of(const state_entry& e) { return std::size_t(&e - state_dict.data()); }
    template <detail::fixed_string Key>
    static constexpr std::size_t index_of_key() {
        constexpr std::size_t index = [] {
            std::size_t i = 0;
            while (i < state_dict.size() && state_dict[i].key != Key.view()) ++i;
            return i;
        }();
        static_assert(index < state_dict.size(), "typenet: at<Key>(): the model's state_dict has no such key");
        return index;
    }

    alignas(state_alignment) std::byte state_[state_bytes > 0 ? state_bytes : 1];
    std::array<bool, state_dict.size()> requires_grad_ = [] {
        std::array<bool, state_dict.size()> flags{};
        for (std::size_t i = 0; i < flags.size(); ++i) flags[i] = state_dict[i].is_parameter() && !frozen_in_type[i];
        return flags;
    }();
};

}  // namespace typenet::detail
