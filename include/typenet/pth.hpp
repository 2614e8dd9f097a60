// read_pth: PyTorch checkpoints (.pth, .pt) as torch.save writes them, in the zip format (PyTorch
// 1.6 and later) and the legacy one, with any pickle_protocol from 2 to 5, read without running any
// code from the file. A file is read into memory once; the checkpoint's storages point into those
// bytes, which it keeps alive.
//
//     // A file as torch.save(model.state_dict(), path) writes it (save_state_dict: serialization.hpp).
//     using M = typenet::Model<typenet::Linear<4, 2>, typenet::Input<4>>;
//     typenet::save_state_dict(*std::make_unique<M>(), "/tmp/typenet_pth_example.pth");
//     typenet::checkpoint c = typenet::read_pth("/tmp/typenet_pth_example.pth");
//     for (const typenet::checkpoint_tensor& t : c.tensors)  // weight float32 8, bias float32 2
//         std::cout << t.key << ' ' << typenet::name(t.dtype) << ' ' << t.numel() << '\n';
//     // A checkpoint dict: torch.save({'epoch': 5, 'model_state_dict': model.state_dict()}, path)
//     typenet::read_options options;
//     options.state_dict_key = "model_state_dict";
//
// A checkpoint dict read without state_dict_key gives is_state_dict == false and, in top_level, what
// each of its keys holds ("int 5", "dict of 12 tensors"). Storages saved on a GPU ('cuda:0') load
// on the CPU. Storages of dtypes typenet does not read (complex, quantized) may sit anywhere in the
// file: only a tensor that is asked for must have a readable dtype. TorchScript archives
// (torch.jit.save), compressed archives, and pickles that call anything but torch's tensor rebuild
// functions are refused with a format_error saying why.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "checkpoint.hpp"
#include "detail/io_linkage.hpp"
#include "dtype.hpp"
#include "error.hpp"

namespace typenet {

// Reads a checkpoint from bytes in memory; `source_name` names it in messages. The checkpoint shares
// ownership of the bytes, which its storages point into.
TYPENET_IO_INLINE checkpoint read_pth(shared_bytes bytes, std::string source_name, const read_options& options = {});

// Reads a .pth / .pt file written by torch.save.
TYPENET_IO_INLINE checkpoint read_pth(const std::filesystem::path& path, const read_options& options = {});

}  // namespace typenet

#if TYPENET_IO_DEFINITIONS
#include <functional>
#include <map>
#include <set>

#include "detail/formats/file.hpp"
#include "detail/formats/pickle.hpp"
#include "detail/formats/zip.hpp"

namespace typenet {

namespace detail {

// PyTorch's storage classes (torch 1.13, torch/__init__.py) and their element sizes
// (torch._utils._element_size); `readable` for the dtypes typenet reads.
struct pth_storage_class {
    std::string_view name;
    std::size_t element_size;
    bool readable;
    dtype type;
};
inline constexpr pth_storage_class pth_storage_classes[] = {
    {"torch.DoubleStorage", 8, true, dtype::float64},  {"torch.FloatStorage", 4, true, dtype::float32},
    {"torch.HalfStorage", 2, true, dtype::float16},    {"torch.BFloat16Storage", 2, true, dtype::bfloat16},
    {"torch.LongStorage", 8, true, dtype::int64},      {"torch.IntStorage", 4, true, dtype::int32},
    {"torch.ShortStorage", 2, true, dtype::int16},     {"torch.CharStorage", 1, true, dtype::int8},
    {"torch.ByteStorage", 1, true, dtype::uint8},      {"torch.BoolStorage", 1, true, dtype::bool_},
    {"torch.ComplexDoubleStorage", 16, false, {}},     {"torch.ComplexFloatStorage", 8, false, {}},
    {"torch.QUInt8Storage", 1, false, {}},             {"torch.QInt8Storage", 1, false, {}},
    {"torch.QInt32Storage", 4, false, {}},             {"torch.QUInt4x2Storage", 1, false, {}},
    {"torch.QUInt2x4Storage", 1, false, {}},
};

inline const pth_storage_class* find_storage_class(std::string_view name) {
    for (const pth_storage_class& c : pth_storage_classes)
        if (c.name == name) return &c;
    return nullptr;
}

inline std::string pth_dims_text(std::span<const std::uint64_t> dims) {
    std::string text = "[";
    for (std::size_t i = 0; i < dims.size(); ++i) text += concat({i ? ", " : "", std::to_string(dims[i])});
    return text + "]";
}

// A storage as a persistent id names it.
struct pth_storage {
    std::string key;          // the record's name: "0" (data/0), or a legacy pointer-like number
    std::string class_name;   // "torch.FloatStorage"
    bool readable = false;    // a storage class typenet reads; `type` is meaningful only then
    dtype type = dtype::float32;
    std::size_t element_size = 0;  // 0 for a class PyTorch does not define
    std::uint64_t numel = 0;       // elements of `type` this storage has
    std::uint64_t root_numel = 0;  // elements of the storage recorded under `key` (numel, but for a view)
    std::string location;          // "cpu", "cuda:0": every location loads on the host
    bool is_legacy_view = false;   // legacy: elements [view_offset, view_offset + numel) of root `key`
    std::uint64_t view_offset = 0;
    std::size_t position = 0;      // byte offset of the persistent id, for messages
};

// Where a storage's bytes are: a span into the file, or absent.
struct pth_storage_bytes {
    bool present = false;
    std::span<const std::byte> bytes;
    std::string name;  // "archive/data/3", or "legacy storage '94' at byte offset 1000"
};

class pth_reader {
public:
    pth_reader(shared_bytes bytes, std::string source, const read_options& options)
        : bytes_(std::move(bytes)), file_(bytes_.data), source_(std::move(source)), options_(options) {}

    checkpoint read() {
        checkpoint result;
        result.source = source_;
        result.bytes = bytes_;
        if (file_.empty()) fail("the file is empty");
        if (looks_like_zip(file_)) {
            result.format = checkpoint_format::pth_zip;
            read_zip(result);
        } else if (std::to_integer<unsigned>(file_[0]) == 0x80 &&  // a pickle's PROTO opcode, and no
                   !(file_.size() > 8 && std::to_integer<char>(file_[8]) == '{')) {  // safetensors header (see read_checkpoint)
            result.format = checkpoint_format::pth_legacy;
            read_legacy(result);
        } else {
            fail(not_a_checkpoint_reason());
        }
        return result;
    }

private:
    [[noreturn]] void fail(std::string_view what) const {
        throw format_error(concat({"typenet: ", source_, ": ", what}));
    }

    std::string not_a_checkpoint_reason() const {
        static constexpr char digits[] = "0123456789abcdef";
        std::string start;
        for (std::size_t i = 0; i < std::min<std::size_t>(file_.size(), 8); ++i) {
            const auto byte = std::to_integer<unsigned>(file_[i]);
            start += concat({i ? " 0x" : "0x", std::string{digits[byte >> 4], digits[byte & 0xF]}});
        }
        std::string reason = concat({"not a PyTorch checkpoint: it starts with the bytes ", start,
                                     ", but torch.save writes a zip archive (\"PK\") or, before PyTorch 1.6, a pickle (0x80)"});
        if (file_.size() > 262 && std::string_view(reinterpret_cast<const char*>(file_.data()) + 257, 5) == "ustar")
            reason += ". It is a tar archive: the format of torch.save before PyTorch 0.4, which typenet does not read; "
                      "load it in Python and save it again with torch.save";
        else if (file_.size() > 9 && std::to_integer<char>(file_[8]) == '{')
            reason += ". It looks like a safetensors file: read it with read_safetensors";
        return reason;
    }

    // ---- the zip format ----

    void read_zip(checkpoint& result) {
        const zip_reader zip(file_, source_);
        if (zip.entries().empty()) fail("an empty zip archive, not a torch.save checkpoint");
        const std::string top(zip.top_folder());
        if (top.empty())
            fail(concat({"a zip archive whose first entry '", escape_for_message(zip.entries().front().name),
                         "' is not in a folder: not a torch.save checkpoint, whose entries are all in one folder"}));
        const std::string prefix = top + "/";
        for (const zip_entry& e : zip.entries())
            if (e.name == prefix + "constants.pkl" || e.name.starts_with(prefix + "code/"))
                fail(concat({"a TorchScript archive (torch.jit.save), not a torch.save checkpoint (it has the entry '",
                             escape_for_message(e.name),
                             "'). typenet reads tensors saved with torch.save(model.state_dict(), path); in Python: "
                             "torch.save(torch.jit.load(path).state_dict(), 'weights.pth')"}));

        const zip_entry* version = zip.find(prefix + "version");
        if (!version) version = zip.find(prefix + ".data/version");
        if (!version)
            fail(concat({"the zip archive has no '", escape_for_message(prefix), "version' entry: not a torch.save checkpoint"}));
        check_version(zip, *version);
        if (const zip_entry* byteorder = zip.find(prefix + "byteorder")) {
            zip.verify_crc(*byteorder);
            const std::string_view text = trimmed(zip.data(*byteorder));
            if (text == "big") result.big_endian = true;
            else if (text != "little")
                fail(concat({"entry '", escape_for_message(byteorder->name), "' says '", escape_for_message(text, 20),
                             "'; it should say 'little' or 'big'"}));
        }
        // What typenet's save_state_dict adds for its loader (serialization.hpp, check_fingerprint).
        if (const zip_entry* fingerprint = zip.find(prefix + "typenet_fingerprint")) {
            zip.verify_crc(*fingerprint);
            result.metadata.emplace_back(fingerprint_metadata_key, std::string(trimmed(zip.data(*fingerprint))));
        }
        const zip_entry* pickle = zip.find(prefix + "data.pkl");
        if (!pickle) fail(concat({"the zip archive has no '", escape_for_message(prefix), "data.pkl' entry: not a torch.save checkpoint"}));
        zip.verify_crc(*pickle);

        unpickle_options options;
        options.source = concat({source_, " (", escape_for_message(pickle->name), ")"});
        options.base_offset = std::size_t(pickle->data_offset);
        options.persistent_load = [&](const pickle_tree& tree, pickle_id id, std::size_t position) {
            return add_storage(tree, id, position, 5);
        };
        const pickle_tree tree = unpickle(zip.data(*pickle), options);

        std::set<const zip_entry*> verified;
        resolve_ = [&](const pth_storage& s) {
            pth_storage_bytes found;
            found.name = concat({prefix, "data/", s.key});
            const zip_entry* entry = zip.find(found.name);
            if (!entry) return found;
            if (verified.insert(entry).second) zip.verify_crc(*entry);
            found.present = true;
            found.bytes = storage_part(zip.data(*entry), 0, s, found.name);
            return found;
        };
        interpret(tree, result);
    }

    static std::string_view trimmed(std::span<const std::byte> data) {
        std::string_view text(reinterpret_cast<const char*>(data.data()), data.size());
        while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.remove_suffix(1);
        return text;
    }

    void check_version(const zip_reader& zip, const zip_entry& entry) const {
        zip.verify_crc(entry);
        const std::string_view text = trimmed(zip.data(entry));
        std::uint64_t version = 0;
        bool digits = !text.empty() && text.size() <= 4;
        for (char c : text) {
            digits = digits && c >= '0' && c <= '9';
            version = version * 10 + std::uint64_t(c - '0');
        }
        if (!digits || version < 1 || version > 10)
            fail(concat({"entry '", escape_for_message(entry.name), "' says '", escape_for_message(text, 20),
                         "'; typenet reads the serialization versions 1 to 10 of torch.save"}));
    }

    // The first s.numel elements of a storage's bytes from `first_element` on, checked to be there.
    std::span<const std::byte> storage_part(std::span<const std::byte> data, std::uint64_t first_element,
                                            const pth_storage& s, std::string_view name) const {
        const std::uint64_t element_size = s.element_size;
        std::uint64_t begin = 0, count = 0, end = 0;
        if (__builtin_mul_overflow(first_element, element_size, &begin) ||
            __builtin_mul_overflow(s.numel, element_size, &count) || __builtin_add_overflow(begin, count, &end) ||
            end > data.size())
            fail(concat({"storage ", escape_for_message(name), " holds ", std::to_string(data.size()),
                         " bytes, fewer than the ", std::to_string(s.numel), " elements of ", escape_for_message(s.class_name),
                         first_element ? concat({" from element ", std::to_string(first_element)}) : "",
                         " that its persistent id (at byte offset ", std::to_string(s.position),
                         ") declares: the file is corrupted or truncated"}));
        return data.subspan(std::size_t(begin), std::size_t(count));
    }

    // A persistent id: ('storage', torch.XStorage, key, location, numel) in the zip format, with a
    // sixth item, view metadata, in the legacy one. Returns the storage's index.
    std::int64_t add_storage(const pickle_tree& tree, pickle_id id, std::size_t position, std::size_t arity) {
        // The same persistent id (the memo hands it out again) is the same storage.
        if (const auto known = storage_of_id_.find(id); known != storage_of_id_.end()) return known->second;
        const pickle_value& pid = tree[id];
        const std::span<const pickle_id> items = tree.items(id);
        const std::string where = concat({" (persistent id at byte offset ", std::to_string(position), ")"});
        auto item = [&](std::size_t i, pickle_kind kind, std::string_view what) -> pickle_id {
            const pickle_value& v = tree[items[i]];
            if (v.kind != kind || (kind == pickle_kind::integer && v.number < 0))
                fail(concat({"a storage's ", what, " is ", describe_pickle_value(tree, items[i]), where}));
            return items[i];
        };
        if (pid.kind != pickle_kind::tuple || items.size() != arity)
            fail(concat({"a persistent id should be a tuple of ", std::to_string(arity), " items ('storage', type, key, "
                         "location, size", arity == 6 ? ", view)" : ")", ", not ", pickle_repr(tree, id), where}));
        if (tree.text(item(0, pickle_kind::string, "tag")) != "storage")
            fail(concat({"a persistent id is ", pickle_repr(tree, id), ", not a storage", where}));
        pth_storage s;
        s.class_name = tree.text(item(1, pickle_kind::global, "type"));
        if (!s.class_name.ends_with("Storage"))
            fail(concat({"a storage's type is ", escape_for_message(s.class_name), ", not a storage class", where}));
        if (const pth_storage_class* c = find_storage_class(s.class_name)) {
            s.readable = c->readable;
            s.type = c->type;
            s.element_size = c->element_size;
        }
        s.key = tree.text(item(2, pickle_kind::string, "key"));
        s.location = tree.text(item(3, pickle_kind::string, "location"));
        s.root_numel = s.numel = std::uint64_t(tree[item(4, pickle_kind::integer, "size")].number);
        s.position = position;
        if (arity == 6 && tree[items[5]].kind != pickle_kind::none) {
            // An old storage view: (view_key, offset, size) into the root storage `key`.
            const pickle_value& view = tree[items[5]];
            const std::span<const pickle_id> view_items = tree.items(items[5]);
            auto view_item = [&](std::size_t i) -> const pickle_value& {
                const pickle_value& v = tree[view_items[i]];
                if (v.kind != (i == 0 ? pickle_kind::string : pickle_kind::integer) || v.number < 0)
                    fail(concat({"a storage view is ", pickle_repr(tree, items[5]), where}));
                return v;
            };
            if (view.kind != pickle_kind::tuple || view_items.size() != 3)
                fail(concat({"a storage view should be (key, offset, size), not ", pickle_repr(tree, items[5]), where}));
            view_item(0);
            s.is_legacy_view = true;
            s.view_offset = std::uint64_t(view_item(1).number);
            s.numel = std::uint64_t(view_item(2).number);
        }
        storages_.push_back(std::move(s));
        storage_of_id_.emplace(id, std::int64_t(storages_.size() - 1));
        return std::int64_t(storages_.size() - 1);
    }

    // ---- the legacy format ----

    // magic number, protocol version, sys_info, the object, the storage keys, then each storage's
    // element count (int64) and bytes, in the order of the keys. Counts and bytes are little-endian
    // whatever sys_info says: PyTorch's legacy writer always writes them so, and torch.load never
    // reads sys_info (torch/serialization.py, _legacy_save and _legacy_load).
    void read_legacy(checkpoint& result) {
        std::size_t pos = 0;
        auto next_pickle = [&](const persistent_loader& loader) {
            unpickle_options options;
            options.source = source_;
            options.base_offset = pos;
            options.persistent_load = loader;
            pickle_tree tree = unpickle(file_.subspan(pos), options);
            pos += tree.end;
            return tree;
        };
        // 0x1950a86a20f9469cfc6c, little-endian, as LONG1 stores it.
        static constexpr unsigned char magic[] = {0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19};
        const pickle_tree magic_tree = next_pickle({});
        const pickle_value& number = magic_tree[magic_tree.root];
        if (number.kind != pickle_kind::big_integer ||
            magic_tree.text(magic_tree.root) != std::string_view(reinterpret_cast<const char*>(magic), sizeof magic))
            fail(concat({"a pickle, but not a torch.save checkpoint: it starts with ", pickle_repr(magic_tree, magic_tree.root),
                         " instead of PyTorch's magic number"}));
        const pickle_tree protocol = next_pickle({});
        if (protocol[protocol.root].kind != pickle_kind::integer || protocol[protocol.root].number != 1001)
            fail(concat({"legacy checkpoint protocol ", pickle_repr(protocol, protocol.root), " is not 1001, the one torch.save wrote"}));
        next_pickle({});  // sys_info, which torch.load reads and ignores
        const pickle_tree object = next_pickle([&](const pickle_tree& tree, pickle_id id, std::size_t position) {
            return add_storage(tree, id, position, 6);
        });
        const pickle_tree keys = next_pickle({});
        if (keys[keys.root].kind != pickle_kind::list) fail("the legacy checkpoint's list of storage keys is not a list");

        // The type and size of each stored (root) storage are its first persistent id's.
        std::map<std::string, const pth_storage*, std::less<>> roots;
        for (const pth_storage& s : storages_) roots.emplace(s.key, &s);
        struct stored {
            std::span<const std::byte> bytes;
            std::size_t offset;
        };
        std::map<std::string, stored, std::less<>> data;
        for (pickle_id key_id : keys.items(keys.root)) {
            if (keys[key_id].kind != pickle_kind::string) fail("the legacy checkpoint's storage keys are not all strings");
            const std::string_view key = keys.text(key_id);
            const auto root = roots.find(key);
            if (root == roots.end())
                fail(concat({"the legacy checkpoint stores storage '", escape_for_message(key),
                             "', which no tensor uses (at byte offset ", std::to_string(pos), ")"}));
            // Storages follow one another: without its element size, where the next one starts is unknown.
            const std::uint64_t element_size = root->second->element_size;
            if (element_size == 0)
                fail(concat({"legacy storage '", escape_for_message(key), "' has the type ",
                             escape_for_message(root->second->class_name),
                             ", which PyTorch does not define, so its size and where the storages after it start are "
                             "unknown (persistent id at byte offset ", std::to_string(root->second->position), ")"}));
            if (file_.size() - pos < 8)
                fail(concat({"the file ends inside the size of storage '", escape_for_message(key), "' (at byte offset ",
                             std::to_string(pos), "): it is truncated"}));
            const std::uint64_t count = load_little_endian(file_.data() + pos, 8);
            pos += 8;
            if (count != root->second->root_numel || count > (file_.size() - pos) / element_size)
                fail(concat({"legacy storage '", escape_for_message(key), "' at byte offset ", std::to_string(pos - 8),
                             " says it holds ", std::to_string(count), " elements; its persistent id says ",
                             std::to_string(root->second->root_numel), " and ", std::to_string(file_.size() - pos),
                             " bytes are left: the file is corrupted or truncated"}));
            const std::size_t length = std::size_t(count * element_size);
            if (!data.emplace(std::string(key), stored{file_.subspan(pos, length), pos}).second)
                fail(concat({"the legacy checkpoint stores storage '", escape_for_message(key), "' twice"}));
            pos += length;
        }
        resolve_ = [&](const pth_storage& s) {
            pth_storage_bytes found;
            const auto root = data.find(s.key);
            found.name = concat({"legacy storage '", escape_for_message(s.key), "'"});
            if (root == data.end()) return found;
            found.name += concat({" at byte offset ", std::to_string(root->second.offset)});
            found.present = true;
            found.bytes = storage_part(root->second.bytes, s.is_legacy_view ? s.view_offset : 0, s, found.name);
            return found;
        };
        interpret(object, result);
    }

    // ---- the object: a state_dict, or a checkpoint dict around one ----

    // Cached: a dict the memo puts under many keys is scanned once, not once per key.
    const std::string& describe(const pickle_tree& tree, pickle_id id) {
        const auto cached = descriptions_.find(id);
        if (cached != descriptions_.end()) return cached->second;
        return descriptions_[id] = describe_pickle_value(tree, id, [&](pickle_id t) {
            const pth_storage& s = storages_[std::size_t(tree[tree.tensor_storage(t)].number)];
            return concat({"tensor ", s.readable ? name(s.type) : std::string_view(s.class_name), " ",
                           pth_dims_text(tree.tensor_shape(t))});
        });
    }

    static bool all_tensors(const pickle_tree& tree, pickle_id dict) {
        const std::span<const pickle_id> items = tree.items(dict);
        for (std::size_t i = 1; i < items.size(); i += 2)
            if (tree[items[i]].kind != pickle_kind::tensor) return false;
        return true;
    }

    void interpret(const pickle_tree& tree, checkpoint& result) {
        const pickle_value& root = tree[tree.root];
        if (root.kind != pickle_kind::dict)
            fail(concat({"the file holds ", describe(tree, tree.root),
                         ", not a dict: typenet reads a state_dict (torch.save(model.state_dict(), path)) or a "
                         "checkpoint dict that holds one"}));
        const std::span<const pickle_id> top = tree.items(tree.root);
        std::string keys_text;
        for (std::size_t i = 0; i < top.size(); i += 2) {
            if (tree[top[i]].kind != pickle_kind::string)
                fail(concat({"the file's top-level dict has a key that is not a string: ", pickle_repr(tree, top[i])}));
            result.top_level.push_back({std::string(tree.text(top[i])), describe(tree, top[i + 1])});
            if (i < 40)
                keys_text += concat({i ? ", " : "", "'", escape_for_message(result.top_level.back().key, 60), "' (",
                                     result.top_level.back().description, ")"});
        }
        if (top.size() > 40) keys_text += ", ...";

        pickle_id state_dict = tree.root;
        if (!options_.state_dict_key.empty()) {
            state_dict = no_pickle_value;
            for (std::size_t i = 0; i < top.size(); i += 2)
                if (tree.text(top[i]) == options_.state_dict_key) state_dict = top[i + 1];
            if (state_dict == no_pickle_value)
                fail(concat({"there is no key '", escape_for_message(options_.state_dict_key), "' at the top level; ",
                             all_tensors(tree, tree.root) ? "the file is a state_dict itself (leave read_options::state_dict_key "
                                                            "empty); its keys are "
                                                          : "its keys are ",
                             keys_text.empty() ? "none" : keys_text}));
            if (tree[state_dict].kind != pickle_kind::dict || !all_tensors(tree, state_dict))
                fail(concat({"'", escape_for_message(options_.state_dict_key), "' holds ", describe(tree, state_dict),
                             ", not a state_dict (a dict of tensors)"}));
        } else if (!all_tensors(tree, tree.root)) {
            result.is_state_dict = false;  // a checkpoint dict: top_level says what it holds
            return;
        }

        const std::span<const pickle_id> entries = tree.items(state_dict);
        std::set<std::string_view> seen;
        result.tensors.reserve(entries.size() / 2);
        for (std::size_t i = 0; i < entries.size(); i += 2) {
            if (tree[entries[i]].kind != pickle_kind::string)
                fail(concat({"the state_dict has a key that is not a string: ", pickle_repr(tree, entries[i]),
                             " (entry ", std::to_string(i / 2), ")"}));
            const std::string_view key = tree.text(entries[i]);
            if (!seen.insert(key).second)
                fail(concat({"the state_dict has the key '", escape_for_message(key), "' twice"}));
            result.tensors.push_back(make_tensor(std::string(key), entries[i + 1], tree));
        }
    }

    checkpoint_tensor make_tensor(const std::string& key, pickle_id view, const pickle_tree& tree) const {
        const pth_storage& s = storages_[std::size_t(tree[tree.tensor_storage(view)].number)];
        const std::string tensor = concat({"tensor '", escape_for_message(key), "'"});
        if (!s.readable)
            fail(concat({tensor, " has the storage type ", escape_for_message(s.class_name),
                         ", which typenet does not read: it reads float64, float32, float16, bfloat16, int64, int32, "
                         "int16, int8, uint8 and bool tensors. Convert it in Python (tensor.float()) and save again."}));
        checkpoint_tensor t;
        t.key = key;
        t.dtype = s.type;
        const std::uint64_t offset = std::uint64_t(tree[view].number);
        t.storage_offset = std::size_t(offset);
        const std::vector<std::uint64_t> shape = tree.tensor_shape(view);
        const std::vector<std::uint64_t> strides = tree.tensor_strides(view);
        t.shape.assign(shape.begin(), shape.end());
        t.strides.assign(strides.begin(), strides.end());
        const std::string layout = concat({"shape ", pth_dims_text(shape), ", stride ", pth_dims_text(strides),
                                           ", storage offset ", std::to_string(offset)});

        // Overflow-checked: consumers compute numel() * element size and the farthest element freely.
        std::uint64_t numel = 1, bytes = 0;
        for (std::uint64_t d : shape)
            if (__builtin_mul_overflow(numel, d, &numel)) numel = UINT64_MAX;
        if (numel == UINT64_MAX || __builtin_mul_overflow(numel, size_of(t.dtype), &bytes))
            fail(concat({tensor, " has the shape ", pth_dims_text(shape), ", whose element count overflows 64 bits: "
                         "the file is corrupted"}));
        std::uint64_t last = offset, span = 0, needed_bytes = 0;
        bool overflow = false;
        if (numel > 0) {
            for (std::size_t d = 0; d < shape.size(); ++d)
                overflow = overflow || __builtin_mul_overflow(shape[d] - 1, strides[d], &span) ||
                           __builtin_add_overflow(last, span, &last);
            overflow = overflow || __builtin_add_overflow(last, 1, &last) ||
                       __builtin_mul_overflow(last, size_of(t.dtype), &needed_bytes);
        }

        const pth_storage_bytes storage = resolve_(s);
        if (!storage.present)
            fail(concat({tensor, " uses storage '", escape_for_message(s.key), "', but the file has no ",
                         escape_for_message(storage.name), ": the file is incomplete; save it again with torch.save"}));
        if (numel > 0 && (overflow || needed_bytes > storage.bytes.size()))
            fail(concat({tensor, " (", name(t.dtype), ", ", layout, ") ",
                         overflow ? std::string("reaches beyond 2^64 elements of its storage")
                                  : concat({"needs ", std::to_string(last), " elements of its storage"}),
                         ", but ", escape_for_message(storage.name), " holds only ",
                         std::to_string(storage.bytes.size() / size_of(t.dtype)), " elements (",
                         std::to_string(storage.bytes.size()), " bytes): the file is corrupted"}));
        t.storage = storage.bytes;
        t.storage_name = storage.name;
        return t;
    }

    shared_bytes bytes_;
    std::span<const std::byte> file_;
    std::string source_;
    const read_options& options_;
    std::vector<pth_storage> storages_;
    std::function<pth_storage_bytes(const pth_storage&)> resolve_;
    std::map<pickle_id, std::string> descriptions_;
    std::map<pickle_id, std::int64_t> storage_of_id_;  // persistent ids seen, and their storages
};

}  // namespace detail

TYPENET_IO_INLINE checkpoint read_pth(shared_bytes bytes, std::string source_name, const read_options& options) {
    if (!bytes) throw format_error(detail::concat({"typenet: read_pth: no bytes for ", source_name}));
    return detail::pth_reader(std::move(bytes), std::move(source_name), options).read();
}

TYPENET_IO_INLINE checkpoint read_pth(const std::filesystem::path& path, const read_options& options) {
    return read_pth(detail::read_file(path), path.string(), options);
}

}  // namespace typenet
#endif  // TYPENET_IO_DEFINITIONS
