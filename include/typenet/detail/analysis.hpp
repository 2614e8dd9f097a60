// The compile-time walk over a model: counts, paths, state_dict keys, the first shape error.
// Two passes with the same visitor protocol (module.hpp): one counts, so that the second can
// fill arrays of exactly the right sizes. Everything here is constexpr evaluation, not template
// recursion, which keeps deep models cheap to compile.
#pragma once

#include <array>
#include <cstddef>
#include <string_view>
#include <type_traits>

#include "../module.hpp"

namespace typenet::detail {

inline constexpr std::size_t max_path_length = 1024;
inline constexpr std::size_t max_depth = 128;

// The dotted path of the module being visited: "", "features", "features.0", ...
struct path_builder {
    std::array<char, max_path_length> chars{};
    std::size_t length = 0;
    std::array<std::size_t, max_depth> saved{};
    std::size_t depth = 0;

    constexpr void append(char c) {
        if (length == max_path_length) throw "typenet: a module path is longer than detail::max_path_length";
        chars[length++] = c;
    }
    constexpr void append(std::string_view s) {
        for (char c : s) append(c);
    }
    constexpr void append_index(std::size_t index) {
        char digits[24] = {};
        std::size_t n = 0;
        do digits[n++] = char('0' + index % 10);
        while ((index /= 10) != 0);
        while (n) append(digits[--n]);
    }
    constexpr void push(const child_name& name) {
        if (depth == max_depth) throw "typenet: modules are nested deeper than detail::max_depth";
        saved[depth] = length;
        if (depth++ == 0) return;  // the model itself has the empty path
        if (length) append('.');
        if (name.positional) append_index(name.index);
        else append(name.name);
    }
    constexpr void pop() { length = saved[--depth]; }
    constexpr std::string_view view() const { return {chars.data(), length}; }
    // The key of a state entry of the current module: "features.0" + "weight"; an entry without a
    // local name (a free-standing Parameter) is keyed by the module's path itself.
    constexpr std::size_t key_length(std::string_view local) const {
        return length + (length && !local.empty() ? 1 : 0) + local.size();
    }
};

struct count_visitor {
    path_builder path;
    std::size_t modules = 0, entries = 0, chars = 0;
    shape output;
    // The first failed shape rule and where.
    bool failed = false;
    shape_check error;
    std::array<char, max_path_length> error_path{};
    std::size_t error_path_length = 0;
    // The layers reading the call's key padding mask, and the length of the sequences they get
    // (their input's first dimension); a call's one mask must fit them all.
    std::size_t key_padding_layers = 0, key_padding_positions = 0;
    bool key_padding_positions_differ = false;

    constexpr bool checking() const { return !failed; }
    constexpr void enter(const child_name& name, const module_description& description, shape in) {
        path.push(name);
        ++modules;
        chars += path.length;
        if (description.reads_key_padding_mask) {
            if (key_padding_layers++ == 0) key_padding_positions = in[0];
            else if (in[0] != key_padding_positions) key_padding_positions_differ = true;
        }
    }
    constexpr void leave(shape out) {
        path.pop();
        if (path.depth == 0) output = out;
    }
    constexpr void fail(const shape_check& check) {
        failed = true;
        error = check;
        const std::string_view where = path.length ? path.view() : std::string_view("(model)");
        for (char c : where) error_path[error_path_length++] = c;
    }
    constexpr void entry(const state_spec& spec) {
        ++entries;
        chars += path.key_length(spec.name);
    }
};

struct module_row {
    std::size_t path_offset = 0, path_length = 0;
    std::string_view type_name;
    int version = 1;
    std::size_t depth = 0;
    shape input, output;
    std::size_t first_entry = 0, end_entry = 0;
    bool is_layer = false;
};

struct entry_row {
    std::size_t key_offset = 0, key_length = 0;
    state_spec spec;
    std::size_t module = 0;
};

template <std::size_t Modules, std::size_t Entries, std::size_t Chars>
struct table_visitor {
    path_builder path;
    std::array<char, Chars> pool{};
    std::array<module_row, Modules> modules{};
    std::array<entry_row, Entries> entries{};
    std::size_t used_chars = 0, module_count = 0, entry_count = 0;
    std::array<std::size_t, max_depth> open{};  // indices of the modules being visited

    constexpr bool checking() const { return true; }  // only valid models are tabulated
    constexpr std::size_t store(std::string_view s) {
        const std::size_t offset = used_chars;
        for (char c : s) pool[used_chars++] = c;
        return offset;
    }
    constexpr void enter(const child_name& name, const module_description& description, shape in) {
        path.push(name);
        module_row& row = modules[module_count];
        row.path_offset = store(path.view());
        row.path_length = path.length;
        row.type_name = description.type_name;
        row.version = description.version;
        row.depth = path.depth - 1;
        row.input = in;
        row.first_entry = entry_count;
        row.is_layer = description.is_layer;
        open[path.depth - 1] = module_count++;
    }
    constexpr void leave(shape out) {
        module_row& row = modules[open[path.depth - 1]];
        row.output = out;
        row.end_entry = entry_count;
        path.pop();
    }
    constexpr void fail(const shape_check&) {}
    constexpr void entry(const state_spec& spec) {
        entry_row& row = entries[entry_count++];
        row.key_offset = used_chars;
        store(path.view());
        if (path.length && !spec.name.empty()) store(".");
        store(spec.name);
        row.key_length = used_chars - row.key_offset;
        row.spec = spec;
        row.module = open[path.depth - 1];
    }
};

// A visitor that checks one time step's shapes (stream.hpp) instead of a whole sample's.
template <class Visitor>
struct step_walk : Visitor {
    static constexpr bool stepping = true;
};

// Stepping: In is one time step's shape and layers are checked by their step rule (stream.hpp).
template <Module Net, shape In, bool Stepping = false>
struct analysis {
    template <class V>
    using walk = std::conditional_t<Stepping, step_walk<V>, V>;
    static constexpr count_visitor counts = [] {
        walk<count_visitor> v;
        visit_module<Net>(v, {}, In);
        return count_visitor(v);
    }();
    static constexpr bool ok = !counts.failed;
    static constexpr auto error_path = [] {
        std::array<char, counts.error_path_length> path{};
        for (std::size_t i = 0; i < path.size(); ++i) path[i] = counts.error_path[i];
        return path;
    }();
    // The failed rule's own message, and its two sizes or shapes, as arrays for the report's type.
    static constexpr auto error_message = [] {
        std::array<char, counts.error.message.size()> text{};
        for (std::size_t i = 0; i < text.size(); ++i) text[i] = counts.error.message[i];
        return text;
    }();
    static constexpr auto dims_of = [](const shape& s, std::size_t value, bool compares_shapes) {
        return compares_shapes ? s : shape{value};
    };
    static constexpr auto error_expected = [] {
        constexpr shape s = dims_of(counts.error.expected_shape, counts.error.expected, counts.error.compares_shapes);
        std::array<std::size_t, s.rank> d{};
        for (std::size_t i = 0; i < s.rank; ++i) d[i] = s[i];
        return d;
    }();
    static constexpr auto error_actual = [] {
        constexpr shape s = dims_of(counts.error.actual_shape, counts.error.actual, counts.error.compares_shapes);
        std::array<std::size_t, s.rank> d{};
        for (std::size_t i = 0; i < s.rank; ++i) d[i] = s[i];
        return d;
    }();
    static constexpr auto table = [] {
        walk<table_visitor<counts.modules, counts.entries, counts.chars>> v;
        if constexpr (ok) visit_module<Net>(v, {}, In);
        return table_visitor<counts.modules, counts.entries, counts.chars>(v);
    }();
    static constexpr std::string_view text(std::size_t offset, std::size_t length) {
        return {table.pool.data() + offset, length};
    }
};

}  // namespace typenet::detail
