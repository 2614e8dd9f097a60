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
//     // A whole file held in memory (a .pth or safetensors), e.g. weights linked into the program
//     // (typenet_embed_weights, README): the same checks, messages naming "<memory>" or a given name.
//     typenet::save_state_dict(*model, "/tmp/typenet_serialization_example.pth");
//     const typenet::checkpoint read = typenet::read_checkpoint("/tmp/typenet_serialization_example.pth");
//     const std::vector<std::byte> bytes(read.bytes.data.begin(), read.bytes.data.end());
//     typenet::load_state_dict(*model, std::span<const std::byte>(bytes), "weights.pth (in memory)");
//
//     // Files typenet saves carry M::fingerprint; another architecture refuses them by name.
//     using Other = typenet::Model<typenet::Linear<4, 3>, typenet::Input<4>>;
//     try {
//         typenet::load_state_dict(*std::make_unique<Other>(), std::span<const std::byte>(bytes));
//     } catch (const typenet::state_dict_error& e) {  // "... saved for another architecture: fingerprint ..."
//     }
//
// Loading is strict by default: missing keys, unexpected keys and shape mismatches are collected
// and reported together, worded as PyTorch words them, and the model is left unchanged.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "checkpoint.hpp"
#include "detail/formats/state_dict_pickle.hpp"
#include "detail/io_linkage.hpp"
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
    // A file that typenet saved names the architecture it was saved for (Model::fingerprint); a
    // strict load of the whole model refuses it when that is not the model's. False skips the check.
    bool check_fingerprint = true;
};

// What a non-strict load could not match, like PyTorch's (missing_keys, unexpected_keys).
struct load_result {
    std::vector<std::string> missing_keys;     // model entries the checkpoint did not provide
    std::vector<std::string> unexpected_keys;  // checkpoint entries the model does not have
};

namespace detail {

// What the loader and the savers need of a model type, for code that does not depend on it: its
// state_dict and modules, and its fingerprints (state_dict.hpp). The state block goes alongside.
struct model_description {
    std::span<const state_entry> state_dict;
    std::span<const module_info> modules;
    std::uint64_t fingerprint;          // M::fingerprint
    std::uint64_t fingerprint_float32;  // the same network's in float32 and in float64: a file saved
    std::uint64_t fingerprint_float64;  // for either loads, converted
};

template <class M>
model_description describe_model() {
    static constexpr dtype float32 = dtype::float32, float64 = dtype::float64;
    static constexpr std::uint64_t as_float32 = architecture_fingerprint(M::state_dict, &float32);
    static constexpr std::uint64_t as_float64 = architecture_fingerprint(M::state_dict, &float64);
    return {M::state_dict, M::modules, M::fingerprint, as_float32, as_float64};
}

// load_state_dict(model, checkpoint, options) for any model type, into its state block.
TYPENET_IO_INLINE load_result load_state(std::span<std::byte> state, const model_description& model, const checkpoint& c,
                                         const load_options& options);

// save_state_dict(model, path) for any model type: `pickle` is its data.pkl (state_dict_pickle below).
TYPENET_IO_INLINE void save_pth_state(std::span<const std::byte> state, std::span<const state_entry> entries,
                                      std::uint64_t fingerprint, std::span<const char> pickle,
                                      const std::filesystem::path& path);

}  // namespace detail

// Loads a checkpoint into a model. Throws state_dict_error, leaving the model unchanged, when the
// checkpoint does not fit (see load_options); returns what a non-strict load left unmatched.
template <class M>
load_result load_state_dict(M& model, const checkpoint& c, const load_options& options = {}) {
    return detail::load_state(model.state(), detail::describe_model<M>(), c, options);
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
// This reads a file held in memory; `source_name` names it in messages. The checkpoint shares
// ownership of the bytes, which its storages point into.
TYPENET_IO_INLINE checkpoint read_checkpoint(shared_bytes bytes, std::string source_name, const read_options& options = {});

// Reads a weights file from disk (see above): read into memory whole, then parsed there.
TYPENET_IO_INLINE checkpoint read_checkpoint(const std::filesystem::path& path, const read_options& options = {});

// Reads weights that the caller keeps in memory (weights linked into the program by
// typenet_embed_weights, a buffer received over the network): nothing is copied, so the bytes must
// outlive the checkpoint, whose storages point into them.
TYPENET_IO_INLINE checkpoint read_checkpoint(std::span<const std::byte> bytes, std::string source_name = "<memory>",
                                             const read_options& options = {});

// Reads a weights file (see read_checkpoint) and loads it into the model (see load_state_dict).
template <class M>
load_result load_state_dict(M& model, const std::filesystem::path& path, const load_options& options = {}) {
    read_options read;
    read.state_dict_key = options.state_dict_key;
    return load_state_dict(model, read_checkpoint(path, read), options);
}

// The same from bytes in memory, a .pth or safetensors file as a whole; messages name them
// `source_name`. The model gets a copy: the bytes may go once this returns.
template <class M>
load_result load_state_dict(M& model, std::span<const std::byte> bytes, std::string source_name,
                            const load_options& options = {}) {
    read_options read;
    read.state_dict_key = options.state_dict_key;
    return load_state_dict(model, read_checkpoint(bytes, std::move(source_name), read), options);
}
template <class M>
load_result load_state_dict(M& model, std::span<const std::byte> bytes, const load_options& options = {}) {
    return load_state_dict(model, bytes, "<memory>", options);
}

// Writes the model's state_dict as torch.save(model.state_dict(), path) does: a zip archive that
// torch.load reads back with the same keys, order, dtypes, shapes and values (also with the
// weights_only loader). The pickle is a compile-time constant of the model type; each tensor's
// data is a 64-byte aligned record. One more record, "typenet_fingerprint", holds the model type's
// fingerprint (state_dict.hpp) for load_state_dict to check; torch.load reads only the records the
// pickle names, so it ignores it. The file is written atomically: on failure the destination is
// left as it was.
template <class M>
void save_state_dict(const M& model, const std::filesystem::path& path) {
    const auto& pickle = detail::state_dict_pickle<M>::bytes;
    detail::save_pth_state(model.state(), M::state_dict, M::fingerprint, pickle, path);
}

}  // namespace typenet

#if TYPENET_IO_DEFINITIONS
#include <algorithm>
#include <unordered_map>

#include "detail/formats/convert.hpp"
#include "detail/formats/file.hpp"
#include "detail/formats/zip.hpp"

namespace typenet {

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

// A state_dict for messages: "12 entries, 1234 elements".
inline std::string entries_text(std::size_t entries, std::size_t elements) {
    return concat({std::to_string(entries), entries == 1 ? " entry, " : " entries, ", std::to_string(elements),
                   elements == 1 ? " element" : " elements"});
}

// Refuses a file that typenet saved for another architecture (see load_options::check_fingerprint):
// the fingerprint in its metadata is neither the model's nor that of the same network in the other
// floating dtype (which loads converted). Files without one (PyTorch's) are not checked.
inline void check_fingerprint(const model_description& model, const checkpoint& c, const load_options& options) {
    if (!options.check_fingerprint || !options.strict || !options.checkpoint_prefix.empty() || !options.module.empty())
        return;
    const std::string* saved = nullptr;
    for (const auto& [key, value] : c.metadata)
        if (key == fingerprint_metadata_key) saved = &value;
    if (!saved) return;
    if (*saved == fingerprint_text(model.fingerprint_float32) || *saved == fingerprint_text(model.fingerprint_float64))
        return;

    // What differs, from the file's own entries.
    std::size_t elements = 0;
    for (const checkpoint_tensor& t : c.tensors) elements += t.numel();
    std::string difference;
    const std::size_t common = std::min(c.tensors.size(), model.state_dict.size());
    auto describe = [](std::string_view key, dtype type, std::string_view shape) {
        return concat({"\"", key, "\" ", name(type), " ", shape});
    };
    for (std::size_t i = 0; i < common && difference.empty(); ++i) {
        const checkpoint_tensor& t = c.tensors[i];
        const state_entry& e = model.state_dict[i];
        const bool same_shape =
            t.shape.size() == e.shape.rank && std::equal(t.shape.begin(), t.shape.end(), e.shape.begin());
        if (t.key != e.key || !same_shape || is_floating(t.dtype) != is_floating(e.dtype))
            difference = concat({"; entry ", std::to_string(i), " is ", describe(t.key, t.dtype, shape_text(t.shape)),
                                 " in the file, ", describe(e.key, e.dtype, to_string(e.shape)), " in the model"});
    }
    if (difference.empty() && c.tensors.size() > common)
        difference = concat({"; the file goes on after the model's last entry with \"", c.tensors[common].key, "\""});
    if (difference.empty() && model.state_dict.size() > common)
        difference = concat(
            {"; the model goes on after the file's last entry with \"", model.state_dict[common].key, "\""});
    std::size_t model_elements = 0;
    for (const state_entry& e : model.state_dict) model_elements += e.numel;
    if (difference.empty())
        difference = "; the file's entries are the model's, so it was changed after typenet saved it";
    throw state_dict_error(concat(
        {"typenet: ", c.source, " holds weights that typenet saved for another architecture: fingerprint ",
         escape_for_message(*saved, 40), " (", entries_text(c.tensors.size(), elements), "), but this model's is ",
         fingerprint_text(model.fingerprint), " (", entries_text(model.state_dict.size(), model_elements), ")", difference,
         ". Load the weights saved for this model; to load the entries that match, pass load_options::strict = false "
         "(check_fingerprint = false skips this check)."}));
}


TYPENET_IO_INLINE load_result load_state(std::span<std::byte> state, const model_description& model, const checkpoint& c,
                                         const load_options& options) {
    if (!c.is_state_dict) throw state_dict_error(detail::checkpoint_dict_hint(c));
    check_fingerprint(model, c, options);
    const std::string module_prefix = options.module.empty() ? std::string() : options.module + ".";
    if (!options.module.empty() && !find_module(model.modules, options.module))
        throw state_dict_error(detail::concat({"typenet: load_state_dict: the model has no module \"",
                                               options.module, "\""}));

    std::unordered_map<std::string_view, std::size_t> model_index;
    for (std::size_t i = 0; i < model.state_dict.size(); ++i) model_index.emplace(model.state_dict[i].key, i);

    struct match {
        const checkpoint_tensor* tensor;
        const state_entry* entry;
    };
    std::vector<match> matches;
    std::vector<bool> loaded(model.state_dict.size(), false);
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
        const state_entry& e = model.state_dict[found->second];
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
    for (std::size_t i = 0; i < model.state_dict.size(); ++i)
        if (!loaded[i] && model.state_dict[i].key.starts_with(module_prefix))
            result.missing_keys.push_back(std::string(model.state_dict[i].key));

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
        detail::copy_converted(*m.tensor, m.entry->dtype, c.big_endian, state.subspan(m.entry->offset, m.entry->nbytes).data());
    return result;
}


TYPENET_IO_INLINE void save_pth_state(std::span<const std::byte> state, std::span<const state_entry> entries,
                                      std::uint64_t fingerprint, std::span<const char> pickle,
                                      const std::filesystem::path& path) {
    // The archive's top folder: torch.save names it after the file ("model.pth" -> "model/").
    std::string top = path.stem().string();
    if (top.empty()) top = "archive";
    auto text = [](std::string_view s) { return std::as_bytes(std::span<const char>(s.data(), s.size())); };
    write_file_atomically(path, [&](const chunk_writer& sink) {
        zip_writer zip(sink);
        zip.add(top + "/data.pkl", std::as_bytes(pickle));
        zip.add(top + "/byteorder", text("little"));
        // torch.load reads only the records it needs: this one is for typenet's loader (check_fingerprint).
        const std::string fingerprint_record = fingerprint_text(fingerprint) + "\n";
        zip.add(top + "/typenet_fingerprint", text(fingerprint_record));
        for (std::size_t i = 0; i < entries.size(); ++i)
            zip.add(concat({top, "/data/", std::to_string(i)}), state.subspan(entries[i].offset, entries[i].nbytes));
        zip.add(top + "/version", text("3\n"));
        zip.finish();
    });
}

}  // namespace detail

TYPENET_IO_INLINE checkpoint read_checkpoint(shared_bytes bytes, std::string source_name, const read_options& options) {
    if (!bytes) throw format_error(detail::concat({"typenet: read_checkpoint: no bytes for ", source_name}));
    const std::span<const std::byte> b = bytes.data;
    auto byte_at = [&](std::size_t i) { return i < b.size() ? std::to_integer<unsigned>(b[i]) : 256u; };
    if (byte_at(8) == '{') {  // safetensors: an 8-byte header length, then the JSON header
        if (!options.state_dict_key.empty())
            throw format_error(detail::concat({"typenet: ", source_name, " is a safetensors file, which holds "
                                               "tensors only: it has no key \"", options.state_dict_key, "\""}));
        return read_safetensors(std::move(bytes), std::move(source_name));
    }
    // A zip; a legacy file; or another pickle, which read_pth says more about.
    if (detail::looks_like_zip(b) || byte_at(0) == 0x80)
        return read_pth(std::move(bytes), std::move(source_name), options);
    throw format_error(detail::concat({"typenet: ", source_name, " is neither a PyTorch checkpoint (torch.save: a "
                                       "zip archive, or a pickle in the legacy format) nor a safetensors file",
                                       b.empty() ? " (it is empty)" : ""}));
}

TYPENET_IO_INLINE checkpoint read_checkpoint(const std::filesystem::path& path, const read_options& options) {
    return read_checkpoint(detail::read_file(path), path.string(), options);
}

TYPENET_IO_INLINE checkpoint read_checkpoint(std::span<const std::byte> bytes, std::string source_name,
                                             const read_options& options) {
    return read_checkpoint(shared_bytes::borrowed(bytes), std::move(source_name), options);
}

}  // namespace typenet
#endif  // TYPENET_IO_DEFINITIONS
