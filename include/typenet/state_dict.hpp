// The state_dict of a model type, computed at compile time: PyTorch's keys in PyTorch's order,
// with shape, dtype, kind (parameter or buffer) and the place of each entry in the model's one
// contiguous, 64-byte aligned block.
//
//     using M = typenet::Model<SimpleMNISTModel<>, typenet::Input<1, 28, 28>>;
//     static_assert(M::state_dict[0].key == "features.0.weight");
//     static_assert(M::state_dict[0].shape == typenet::shape{32, 1, 3, 3});
//     static_assert(M::entry("classifier.7.bias").numel == 10);
//     static_assert(M::parameter_count_of("features") == 92'672);
//     static_assert(M::fingerprint == typenet::architecture_fingerprint(M::state_dict));
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "dtype.hpp"
#include "layer.hpp"

namespace typenet {

struct state_entry {
    std::string_view key;       // "features.0.weight"
    typenet::shape shape;       // [32, 1, 3, 3]; [] for a 0-dim tensor
    typenet::dtype dtype;       // the model's scalar type, or int64
    entry_kind kind;            // parameter or buffer
    std::size_t numel;          // elements
    std::size_t nbytes;         // numel * size_of(dtype)
    std::size_t offset;         // bytes from the start of the state block, a multiple of 64
    std::size_t module;         // index of the owning module in Model::modules
    int initial_value;          // the value before anything is loaded

    constexpr bool is_parameter() const { return kind == entry_kind::parameter; }
};

struct module_info {
    std::string_view path;        // "features.0"; the model itself is ""
    std::string_view type_name;   // "Conv2d"
    std::size_t depth;            // 0 for the model itself
    typenet::shape input_shape, output_shape;  // per sample
    std::size_t first_entry, end_entry;        // its state entries, children's included: [first, end)
    bool is_layer;
    int version;                  // PyTorch's Module._version, kept in state_dict()._metadata
};

// The module at `path` ("" is the model), or nullptr.
constexpr const module_info* find_module(std::span<const module_info> modules, std::string_view path) {
    for (const module_info& m : modules)
        if (m.path == path) return &m;
    return nullptr;
}

// The entry with `key`, or nullptr.
constexpr const state_entry* find_entry(std::span<const state_entry> entries, std::string_view key) {
    for (const state_entry& e : entries)
        if (e.key == key) return &e;
    return nullptr;
}

// The parameter entries, buffers skipped, of a run of state entries.
class parameter_range {
public:
    class iterator {
    public:
        using value_type = state_entry;
        using difference_type = std::ptrdiff_t;
        constexpr iterator() = default;
        constexpr iterator(const state_entry* at, const state_entry* last) : at_(at), last_(last) { skip(); }
        constexpr const state_entry& operator*() const { return *at_; }
        constexpr const state_entry* operator->() const { return at_; }
        constexpr iterator& operator++() {
            ++at_;
            skip();
            return *this;
        }
        constexpr iterator operator++(int) {
            iterator before = *this;
            ++*this;
            return before;
        }
        friend constexpr bool operator==(const iterator& a, const iterator& b) { return a.at_ == b.at_; }

    private:
        constexpr void skip() {
            while (at_ != last_ && !at_->is_parameter()) ++at_;
        }
        const state_entry* at_ = nullptr;
        const state_entry* last_ = nullptr;
    };

    constexpr parameter_range(std::span<const state_entry> entries)
        : first_(entries.data()), last_(entries.data() + entries.size()) {}
    constexpr iterator begin() const { return {first_, last_}; }
    constexpr iterator end() const { return {last_, last_}; }

private:
    const state_entry* first_;
    const state_entry* last_;
};

// The parameters (not buffers) of module `m`, its children's included, like
// `m.named_parameters()` in PyTorch.
constexpr parameter_range parameters_of(std::span<const state_entry> entries, const module_info& m) {
    return parameter_range(entries.subspan(m.first_entry, m.end_entry - m.first_entry));
}

constexpr std::size_t count_parameters(std::span<const state_entry> entries, const module_info& m) {
    std::size_t n = 0;
    for (const state_entry& e : parameters_of(entries, m)) n += e.numel;
    return n;
}

// An architecture's fingerprint: FNV-1a 64 over one line per state_dict entry, in order, "key dtype
// [dims]\n" ("fc.weight float32 [10, 784]\n", "bn.num_batches_tracked int64 []\n"; dtype as PyTorch
// names it without "torch."). typenet writes it into the files it saves and checks it when it
// loads one (serialization.hpp), so that weights saved for another architecture are refused.
// `floating_as`, when given, stands for the dtype of every floating entry: a network's float and
// double models differ only there, and load_state_dict converts between them.
constexpr std::uint64_t architecture_fingerprint(std::span<const state_entry> entries,
                                                 const dtype* floating_as = nullptr) {
    std::uint64_t hash = 0xcbf29ce484222325u;
    auto add = [&](std::string_view text) {
        for (char c : text) hash = (hash ^ static_cast<unsigned char>(c)) * 0x100000001b3u;
    };
    auto add_number = [&](std::size_t n) {
        char digits[20] = {};
        std::size_t count = 0;
        do digits[count++] = char('0' + n % 10);
        while ((n /= 10) != 0);
        while (count > 0) add(std::string_view(&digits[--count], 1));
    };
    for (const state_entry& e : entries) {
        add(e.key);
        add(" ");
        add(name(floating_as && is_floating(e.dtype) ? *floating_as : e.dtype));
        add(" [");
        for (std::size_t d = 0; d < e.shape.rank; ++d) {
            if (d) add(", ");
            add_number(e.shape[d]);
        }
        add("]\n");
    }
    return hash;
}

}  // namespace typenet
