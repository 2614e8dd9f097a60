// checkpoint: the tensors of a weights file (.pth or safetensors) as read, before they go into a
// model. Readers (pth.hpp, safetensors.hpp) fill it without copying tensor data: storages point
// into the file's bytes, which the checkpoint keeps alive.
//
//     typenet::checkpoint c;
//     c.format = typenet::checkpoint_format::safetensors;
//     static_assert(typenet::name(typenet::checkpoint_format::pth_zip) == "PyTorch zip (torch.save)");
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dtype.hpp"

namespace typenet {

enum class checkpoint_format { pth_zip, pth_legacy, safetensors };

constexpr std::string_view name(checkpoint_format f) {
    switch (f) {
        case checkpoint_format::pth_zip: return "PyTorch zip (torch.save)";
        case checkpoint_format::pth_legacy: return "PyTorch legacy (torch.save before 1.6)";
        case checkpoint_format::safetensors: return "safetensors";
    }
    return "?";
}

// Bytes and what keeps them alive: a vector, or a file read into memory (detail::read_file).
// Converts from a shared vector, so that an in-memory file can be read as it is. borrowed() wraps
// bytes that someone else keeps alive (weights linked into the program, a caller's buffer).
struct shared_bytes {
    std::shared_ptr<const void> owner;
    std::span<const std::byte> data;

    shared_bytes() = default;
    shared_bytes(std::shared_ptr<const void> keeper, std::span<const std::byte> bytes)
        : owner(std::move(keeper)), data(bytes) {}
    shared_bytes(std::shared_ptr<const std::vector<std::byte>> vector)  // NOLINT: implicit on purpose
        : owner(vector), data(vector ? std::span<const std::byte>(*vector) : std::span<const std::byte>()) {}
    shared_bytes(std::shared_ptr<std::vector<std::byte>> vector)  // NOLINT: implicit on purpose
        : shared_bytes(std::shared_ptr<const std::vector<std::byte>>(std::move(vector))) {}
    explicit operator bool() const { return owner != nullptr; }

    // Owns nothing: the bytes must outlive every checkpoint read from them. (The owner is an empty
    // shared_ptr that points somewhere, so that it still tests as present.)
    static shared_bytes borrowed(std::span<const std::byte> bytes) {
        static constexpr std::byte nothing{};
        const void* where = bytes.empty() ? &nothing : bytes.data();
        return {std::shared_ptr<const void>(std::shared_ptr<const void>(), where), bytes};
    }
};

// One tensor as stored: a view (shape, strides, offset, all in elements) into a storage.
struct checkpoint_tensor {
    std::string key;                      // "features.0.weight"
    typenet::dtype dtype = dtype::float32;
    std::vector<std::size_t> shape;       // empty for a 0-dim tensor
    std::vector<std::size_t> strides;     // one per dimension
    std::size_t storage_offset = 0;
    std::span<const std::byte> storage;   // the whole storage; several tensors may share it
    std::string storage_name;             // where the storage is in the file, for messages ("archive/data/3")

    std::size_t numel() const {
        std::size_t n = 1;
        for (std::size_t d : shape) n *= d;
        return n;
    }
};

// A top-level entry of a checkpoint dict, described for people: "int 5", "dict of 12 tensors".
struct checkpoint_item {
    std::string key;
    std::string description;
};

class checkpoint {
public:
    checkpoint_format format = checkpoint_format::pth_zip;
    std::string source;                       // the file's name, or "<memory>" (or a name given for bytes)
    std::vector<checkpoint_tensor> tensors;   // the state_dict's entries, in the file's order
    // The keys of the file's top-level dict, in order. For a bare state_dict these are the tensor keys.
    std::vector<checkpoint_item> top_level;
    // False for a checkpoint dict ({'epoch': ..., 'model_state_dict': ...}) read without naming the
    // key of its state_dict: `tensors` is then empty and `top_level` says what the file holds.
    bool is_state_dict = true;
    bool big_endian = false;                  // the storages' byte order ("byteorder" record)
    // safetensors' __metadata__; for a .pth that typenet saved, its "typenet.fingerprint" too.
    std::vector<std::pair<std::string, std::string>> metadata;
    shared_bytes bytes;                                         // the file, which storages point into

    const checkpoint_tensor* find(std::string_view key) const {
        for (const checkpoint_tensor& t : tensors)
            if (t.key == key) return &t;
        return nullptr;
    }
};

namespace detail {

// Where a file typenet saved carries its model's fingerprint (state_dict.hpp), and how: the
// metadata key, and 16 lowercase hexadecimal digits.
inline constexpr std::string_view fingerprint_metadata_key = "typenet.fingerprint";
inline std::string fingerprint_text(std::uint64_t fingerprint) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string text(16, '0');
    for (std::size_t i = 0; i < 16; ++i) text[15 - i] = digits[(fingerprint >> (4 * i)) & 0xF];
    return text;
}

}  // namespace detail

// How to read a file.
struct read_options {
    // For a checkpoint dict, the key that holds the state_dict ("model_state_dict"); empty when
    // the file is the state_dict itself.
    std::string state_dict_key;
};

}  // namespace typenet
