// load_state_dict and save_state_dict: PyTorch's workflow, in C++.
//
//   # Python                                            // C++
//   torch.save(model.state_dict(), "w.pth")             typenet::save_state_dict(*model, "w.pth");
//   model = SimpleMNISTModel()                          auto model = std::make_unique<typenet::Model<
//   model.load_state_dict(torch.load("w.pth"))              SimpleMNISTModel<>, typenet::Input<1, 28, 28>>>();
//   model.eval()                                        typenet::load_state_dict(*model, "w.pth");
//
//     using M = typenet::Model<typenet::Linear<4, 2>, typenet::Input<4>>;
//     auto model = std::make_unique<M>();
//     typenet::checkpoint file;                       // what read_pth / read_safetensors return
//     file.source = "<memory>";
//     typenet::load_options options;                  // PyTorch's strict=False, and a DataParallel file
//     options.strict = false;
//     options.checkpoint_prefix = "module.";
//     typenet::load_result r = typenet::load_state_dict(*model, file, options);
//     // r.missing_keys == {"weight", "bias"}
//
// Loading is strict by default: missing keys, unexpected keys and shape mismatches are collected
// and reported together, worded as PyTorch words them, and the model is left unchanged.
#pragma once

#include <algorithm>
#include <cstddef>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "checkpoint.hpp"
#include "detail/formats/convert.hpp"
#include "detail/formats/file.hpp"
#include "detail/formats/state_dict_pickle.hpp"
#include "detail/formats/zip.hpp"
#include "error.hpp"
#include "model.hpp"
#include "pth.hpp"
#include "safetensors.hpp"
#include "shape.hpp"

namespace typenet {

struct load_options {
    // Missing and unexpected keys are errors (PyTorch's strict=True). Shape mismatches always are.
    bool strict = true;
    // Entries of another dtype (float64, float16, bfloat16, integers) are converted to the model's;
    // false makes a dtype mismatch an error.
    bool convert_dtypes = true;
    // Only checkpoint keys that start with this prefix are loaded, without it; others are ignored.
    // "module." reads a DataParallel checkpoint; "features." takes one sub-module of a larger one.
    std::string checkpoint_prefix;
    // Load into this sub-module of the model only ("features"): the checkpoint's keys are relative to
    // it, like model.features.load_state_dict(...); other entries of the model are left alone.
    std::string module;
    // For a checkpoint dict ({'epoch': ..., 'model_state_dict': ...}): the key holding the state_dict.
    std::string state_dict_key;
};

// What a non-strict load could not match, like PyTorch's (missing_keys, unexpected_keys).
struct load_result {
    std::vector<std::string> missing_keys;     // model entries the checkpoint did not provide
    std::vector<std::string> unexpected_keys;  // checkpoint entries the model does not have
};

namespace detail {

inline std::string shape_text(std::span<const std::size_t> dims) {
    std::string text = "[";
    for (std::size_t i = 0; i < dims.size(); ++i) {
        if (i) text += ", ";
        text += std::to_string(dims[i]);
    }
    text += ']';
    return text;
}

inline std::string quoted_list(const std::vector<std::string>& keys) {
    std::string text;
    for (std::size_t i = 0; i < keys.size(); ++i) {
        if (i) text += ", ";
        text += '"';
        text += keys[i];
        text += '"';
    }
    return text;
}

inline std::string checkpoint_dict_hint(const checkpoint& c) {
    std::string keys, suggestion;
    for (const checkpoint_item& item : c.top_level) {
        if (!keys.empty()) keys += ", ";
        keys += concat({"'", item.key, "' (", item.description, ")"});
        if (suggestion.empty() && item.description.starts_with("dict of ")) suggestion = item.key;
    }
    return concat({"typenet: ", c.source, " is a checkpoint dict, not a state_dict; its keys are ", keys,
                   ". Name the key that holds the state_dict: options.state_dict_key = \"",
                   suggestion.empty() ? std::string_view("...") : std::string_view(suggestion), "\""});
}

inline bool can_convert(dtype from, dtype to) {
    if (from == to) return true;
    return is_floating(to) || to == dtype::int64;  // every dtype converts to these, as torch's copy_
}

}  // namespace detail

// Loads a checkpoint into a model. Throws state_dict_error, leaving the model unchanged, when the
// checkpoint does not fit (see load_options); returns what a non-strict load left unmatched.
template <class M>
load_result load_state_dict(M& model, const checkpoint& c, const load_options& options = {}) {
    if (!c.is_state_dict) throw state_dict_error(detail::checkpoint_dict_hint(c));
    const std::string module_prefix = options.module.empty() ? std::string() : options.module + ".";
    if (!options.module.empty() && !find_module(M::modules, options.module))
        throw state_dict_error(detail::concat({"typenet: load_state_dict: the model has no module \"",
                                               options.module, "\""}));

    std::unordered_map<std::string_view, std::size_t> model_index;
    for (std::size_t i = 0; i < M::state_dict.size(); ++i) model_index.emplace(M::state_dict[i].key, i);

    struct match {
        const checkpoint_tensor* tensor;
        const state_entry* entry;
    };
    std::vector<match> matches;
    std::vector<bool> loaded(M::state_dict.size(), false);
    load_result result;
    std::vector<std::string> mismatches;
    for (const checkpoint_tensor& t : c.tensors) {
        std::string_view key = t.key;
        if (!key.starts_with(options.checkpoint_prefix)) continue;
        key.remove_prefix(options.checkpoint_prefix.size());
        const std::string model_key = module_prefix + std::string(key);
        const auto found = model_index.find(model_key);
        if (found == model_index.end()) {
            result.unexpected_keys.push_back(std::string(key));
            continue;
        }
        // Never reached without entries; saying so keeps GCC 12's -Warray-bounds from flagging the
        // empty state_dict of a model without parameters (a false positive after constant propagation).
        if constexpr (M::state_dict.size() == 0) continue;
        const state_entry& e = M::state_dict[found->second];
        loaded[found->second] = true;
        const bool same_shape = t.shape.size() == e.shape.rank &&
                                std::equal(t.shape.begin(), t.shape.end(), e.shape.begin());
        if (!same_shape) {
            mismatches.push_back(detail::concat({"size mismatch for ", model_key, ": copying a param with shape ",
                                                 detail::shape_text(t.shape), " from checkpoint, the shape in current model is ",
                                                 to_string(e.shape), "."}));
            continue;
        }
        if (t.dtype != e.dtype && (!options.convert_dtypes || !detail::can_convert(t.dtype, e.dtype))) {
            mismatches.push_back(detail::concat({"dtype mismatch for ", model_key, ": the checkpoint has ",
                                                 name(t.dtype), ", the model ", name(e.dtype),
                                                 options.convert_dtypes ? "." : " (dtype conversion is off)."}));
            continue;
        }
        if (t.strides.size() != t.shape.size() ||
            detail::elements_needed(t) * size_of(t.dtype) > t.storage.size()) {
            mismatches.push_back(detail::concat({"storage too small for ", model_key, " in ", c.source, " (",
                                                 t.storage_name, ")."}));
            continue;
        }
        if (e.dtype == dtype::int64 && is_floating(t.dtype) && !detail::all_integral(t, c.big_endian)) {
            mismatches.push_back(detail::concat({"dtype mismatch for ", model_key, ": the model holds int64 and the "
                                                 "checkpoint's ", name(t.dtype), " values are not all integers."}));
            continue;
        }
        matches.push_back({&t, &e});
    }
    for (std::size_t i = 0; i < M::state_dict.size(); ++i)
        if (!loaded[i] && M::state_dict[i].key.starts_with(module_prefix))
            result.missing_keys.push_back(std::string(M::state_dict[i].key));

    std::string errors;
    if (options.strict && !result.missing_keys.empty())
        errors += detail::concat({"\n\tMissing key(s) in state_dict: ", detail::quoted_list(result.missing_keys), ". "});
    if (options.strict && !result.unexpected_keys.empty()) {
        errors += detail::concat({"\n\tUnexpected key(s) in state_dict: ", detail::quoted_list(result.unexpected_keys),
                                  ". "});
        // torch.nn.DataParallel and DistributedDataParallel save their model under "module.".
        if (std::all_of(result.unexpected_keys.begin(), result.unexpected_keys.end(),
                        [](const std::string& key) { return key.starts_with("module."); }))
            errors += detail::concat({"\n\tEvery unexpected key starts with \"module.\", as in a checkpoint saved from "
                                      "DataParallel or DistributedDataParallel: load it with "
                                      "options.checkpoint_prefix = \"", options.checkpoint_prefix, "module.\"."});
    }
    for (const std::string& m : mismatches) errors += detail::concat({"\n\t", m});
    if (!errors.empty())
        throw state_dict_error(detail::concat({"Error(s) in loading state_dict from ", c.source, ":", errors}));

    for (const match& m : matches)
        detail::copy_converted(*m.tensor, m.entry->dtype, c.big_endian, model.bytes(*m.entry).data());
    return result;
}

namespace detail {

// The data.pkl bytes of model type M (see state_dict_pickle.hpp), a compile-time constant.
template <class M>
struct state_dict_pickle {
    static constexpr auto versions = [] {
        std::array<module_version, M::modules.size()> v{};
        for (std::size_t i = 0; i < v.size(); ++i) v[i] = {M::modules[i].path, M::modules[i].version};
        return v;
    }();
    static constexpr std::size_t size = [] {
        pickle_sink counter;
        write_state_dict_pickle(counter, M::state_dict, versions);
        return counter.size;
    }();
    static constexpr std::array<char, size> bytes = [] {
        std::array<char, size> out{};
        pickle_sink sink{out.data()};
        write_state_dict_pickle(sink, M::state_dict, versions);
        return out;
    }();
};

}  // namespace detail

// Reads a weights file, whatever its format: a zip or legacy .pth (torch.save), or safetensors.
// Byte 8 decides first, being '{' in every safetensors file (its JSON header starts there) and in
// no .pth: a zip's byte 8 is its first record's compression method or entry count, a legacy
// file's lies inside PyTorch's magic number or a pickle frame's length. Looking at byte 0 first
// would not do: a safetensors header length of 0x280 starts the file with 0x80 0x02, as a pickle.
inline checkpoint read_checkpoint(const std::filesystem::path& path, const read_options& options = {}) {
    shared_bytes bytes = detail::read_file(path);
    const std::span<const std::byte> b = bytes.data;
    auto byte_at = [&](std::size_t i) { return i < b.size() ? std::to_integer<unsigned>(b[i]) : 256u; };
    if (byte_at(8) == '{') {  // safetensors: an 8-byte header length, then the JSON header
        if (!options.state_dict_key.empty())
            throw format_error(detail::concat({"typenet: ", path.string(), " is a safetensors file, which holds "
                                               "tensors only: it has no key \"", options.state_dict_key, "\""}));
        return read_safetensors(std::move(bytes), path.string());
    }
    // A zip; a legacy file; or another pickle, which read_pth says more about.
    if (detail::looks_like_zip(b) || byte_at(0) == 0x80)
        return read_pth(std::move(bytes), path.string(), options);
    throw format_error(detail::concat({"typenet: ", path.string(), " is neither a PyTorch checkpoint (torch.save: a "
                                       "zip archive, or a pickle in the legacy format) nor a safetensors file",
                                       b.empty() ? " (it is empty)" : ""}));
}

// Reads a weights file (see read_checkpoint) and loads it into the model (see load_state_dict).
template <class M>
load_result load_state_dict(M& model, const std::filesystem::path& path, const load_options& options = {}) {
    read_options read;
    read.state_dict_key = options.state_dict_key;
    return load_state_dict(model, read_checkpoint(path, read), options);
}

// Writes the model's state_dict as torch.save(model.state_dict(), path) does: a zip archive that
// torch.load reads back with the same keys, order, dtypes, shapes and values (also with the
// weights_only loader). The pickle is a compile-time constant of the model type; each tensor's
// data is a 64-byte aligned record. The file is written atomically: on failure the destination
// is left as it was.
template <class M>
void save_state_dict(const M& model, const std::filesystem::path& path) {
    // The archive's top folder: torch.save names it after the file ("model.pth" -> "model/").
    std::string top = path.stem().string();
    if (top.empty()) top = "archive";
    auto text = [](std::string_view s) { return std::as_bytes(std::span<const char>(s.data(), s.size())); };
    detail::write_file_atomically(path, [&](const detail::chunk_writer& sink) {
        detail::zip_writer zip(sink);
        const auto& pickle = detail::state_dict_pickle<M>::bytes;
        zip.add(top + "/data.pkl", std::as_bytes(std::span<const char>(pickle.data(), pickle.size())));
        zip.add(top + "/byteorder", text("little"));
        for (std::size_t i = 0; i < M::state_dict.size(); ++i)
            zip.add(detail::concat({top, "/data/", std::to_string(i)}), model.bytes(M::state_dict[i]));
        zip.add(top + "/version", text("3\n"));
        zip.finish();
    });
}

}  // namespace typenet
