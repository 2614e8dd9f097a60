// safetensors: reading and writing Hugging Face's safetensors format. A file is an 8-byte
// little-endian header length N, N bytes of JSON naming each tensor's dtype, shape and byte range,
// then the tensors' raw row-major little-endian bytes, back to back.
//
//     std::vector<float> values = {1, 2, 3, 4, 5, 6};
//     std::vector<typenet::safetensors_tensor> tensors(1);
//     tensors[0].name = "fc.weight";
//     tensors[0].dtype = typenet::dtype::float32;
//     tensors[0].shape = {2, 3};
//     tensors[0].bytes = std::as_bytes(std::span(values));
//     typenet::save_safetensors(tensors, "/tmp/typenet_example.safetensors");
//     typenet::checkpoint c = typenet::read_safetensors("/tmp/typenet_example.safetensors");
//     const typenet::checkpoint_tensor& w = c.tensors.at(0);  // its storage points into c.bytes
//     if (w.key != "fc.weight" || w.shape != std::vector<std::size_t>{2, 3}) throw typenet::error("unexpected");
//
//     using M = typenet::Model<typenet::Linear<4, 2>, typenet::Input<4>>;
//     auto model = std::make_unique<M>();
//     typenet::save_safetensors(*model, "/tmp/typenet_linear.safetensors");  // "weight", "bias"
//     auto in_memory = std::make_shared<const std::vector<std::byte>>(typenet::encode_safetensors(tensors));
//     typenet::checkpoint same = typenet::read_safetensors(in_memory, "<memory>");
//
// Reading checks every rule of the format (see read_safetensors) and copies no tensor data: each
// tensor's storage is a span of the file's bytes, which the checkpoint keeps alive. Writing
// validates first, then writes atomically (the destination is replaced whole, or left alone).
// A 0-dim tensor has shape [] (one element), as in PyTorch and Hugging Face's own writer.
#pragma once

#include <bit>
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
#include "model.hpp"

namespace typenet {

// The format's limit on the JSON header, in bytes (Hugging Face's reader refuses larger ones).
inline constexpr std::size_t safetensors_max_header_size = 100'000'000;

// One tensor to write: `bytes` holds its numel(shape) * size_of(dtype) bytes, row-major,
// little-endian.
struct safetensors_tensor {
    std::string name;
    typenet::dtype dtype = dtype::float32;
    std::vector<std::size_t> shape;  // [] for a 0-dim tensor, which has one element
    std::span<const std::byte> bytes;
};

// The header's "__metadata__": string keys and values, written in this order.
using safetensors_metadata = std::vector<std::pair<std::string, std::string>>;

// Reads a safetensors file held in memory; `source_name` names it in messages. Refuses, with a
// format_error saying what and where: a header length over 100,000,000 or past the end; a
// header that is not a UTF-8 JSON object starting with '{' (whitespace may follow it); repeated
// keys; a tensor entry without dtype, shape or data_offsets; a dtype typenet lacks (U16, U32,
// U64, F8...) or the format does not define; data ranges that leave gaps, overlap, or do not
// start at 0; a range whose size is not numel(shape) * dtype size (computed without overflow);
// bytes after the last tensor; an "__metadata__" that is not an object of strings.
// The tensors come in data order, contiguous (row-major strides), storages pointing into `bytes`;
// top_level lists the tensor names in the same order, and metadata holds "__metadata__".
TYPENET_IO_INLINE checkpoint read_safetensors(shared_bytes bytes, std::string source_name);

// Reads a safetensors file from disk (see above for what it checks).
TYPENET_IO_INLINE checkpoint read_safetensors(const std::filesystem::path& path);

// The whole file in memory. The header lists "__metadata__" first (left out when `metadata` is
// empty), then the tensors in the order given, which is also their order in the data. Throws
// format_error, naming the tensor, for duplicate or non-UTF-8 names, a tensor named
// "__metadata__", or bytes that do not match dtype and shape.
TYPENET_IO_INLINE std::vector<std::byte> encode_safetensors(std::span<const safetensors_tensor> tensors,
                                                            const safetensors_metadata& metadata = {{"format", "pt"}});

// Writes tensors to a file atomically. Everything is checked before the file is touched.
TYPENET_IO_INLINE void save_safetensors(std::span<const safetensors_tensor> tensors, const std::filesystem::path& path,
                                        const safetensors_metadata& metadata = {{"format", "pt"}});

namespace detail {
// save_safetensors(model, path) for any model type: its state block, described by its state_dict.
TYPENET_IO_INLINE void save_safetensors_state(std::span<const std::byte> state, std::span<const state_entry> entries,
                                              std::uint64_t fingerprint, const std::filesystem::path& path);
}  // namespace detail

// Writes a model's state_dict as a file safetensors.torch.load_file reads: PyTorch's keys in
// state_dict order, the model's dtype (F32 or F64; num_batches_tracked stays I64, shape []), and
// {"format": "pt", "typenet.fingerprint": M::fingerprint in 16 hexadecimal digits} as metadata
// (load_state_dict checks the fingerprint; other readers ignore metadata).
// A Model or a Stream (anything with their state_dict surface, detail/state_block.hpp).
template <class M>
    requires requires(const M& m) { M::state_dict.size(); m.state(); }
void save_safetensors(const M& model, const std::filesystem::path& path) {
    // The state block holds native-endian values and the format is little-endian.
    static_assert(std::endian::native == std::endian::little,
                  "typenet::save_safetensors(model, ...) supports little-endian machines only");
    detail::save_safetensors_state(model.state(), M::state_dict, M::fingerprint, path);
}

}  // namespace typenet

#if TYPENET_IO_DEFINITIONS
#include <algorithm>
#include <cstring>
#include <limits>
#include <unordered_set>

#include "detail/formats/file.hpp"
#include "detail/formats/json.hpp"

namespace typenet {

namespace detail {

// The format's dtype names for typenet's dtypes.
constexpr std::string_view safetensors_dtype_name(dtype t) {
    switch (t) {
        case dtype::float32: return "F32";
        case dtype::float64: return "F64";
        case dtype::float16: return "F16";
        case dtype::bfloat16: return "BF16";
        case dtype::int64: return "I64";
        case dtype::int32: return "I32";
        case dtype::int16: return "I16";
        case dtype::int8: return "I8";
        case dtype::uint8: return "U8";
        case dtype::bool_: return "BOOL";
    }
    return "?";
}

// Dtypes the format defines that typenet has no type for, and what to convert them to in PyTorch.
struct unsupported_safetensors_dtype {
    std::string_view name;
    std::string_view advice;
};
inline constexpr unsupported_safetensors_dtype unsupported_safetensors_dtypes[] = {
    {"U16", "t.to(torch.int32)"},        {"U32", "t.to(torch.int64)"},
    {"U64", "t.to(torch.int64), if the values fit"},
    {"F8_E4M3", "t.to(torch.float16)"},  {"F8_E5M2", "t.to(torch.float16)"},
    {"F8_E8M0", "t.to(torch.float32)"},  {"F4", "t.to(torch.float16)"},
    {"F6_E2M3", "t.to(torch.float16)"},  {"F6_E3M2", "t.to(torch.float16)"},
    {"C64", "torch.view_as_real(t)"},
};

inline std::string shape_to_text(std::span<const std::size_t> shape) {
    std::string text = "[";
    for (std::size_t i = 0; i < shape.size(); ++i) {
        if (i) text += ", ";
        text += std::to_string(shape[i]);
    }
    return text + ']';
}

inline std::uint64_t load_le64(const std::byte* p) {
    std::uint64_t value = 0;
    for (int i = 7; i >= 0; --i) value = (value << 8) | std::to_integer<std::uint64_t>(p[i]);
    return value;
}

// numel(shape) * element_size, or false when that, or the product of the non-zero dimensions,
// does not fit in a size_t. (Requiring the latter keeps every row-major stride representable,
// even for shapes like [0, 2^40, 2^40].)
inline bool checked_byte_size(std::span<const std::size_t> shape, std::size_t element_size, std::size_t& bytes) {
    constexpr std::size_t max = std::numeric_limits<std::size_t>::max();
    std::size_t nonzero_product = element_size;
    bool has_zero = false;
    for (std::size_t d : shape) {
        if (d == 0) {
            has_zero = true;
            continue;
        }
        if (nonzero_product > max / d) return false;
        nonzero_product *= d;
    }
    bytes = has_zero ? 0 : nonzero_product;
    return true;
}

inline std::string file_range(std::size_t begin, std::size_t end) {
    return concat({"file bytes [", std::to_string(begin), ", ", std::to_string(end), ")"});
}

// A tensor's entry in the header, as parsed.
struct safetensors_entry {
    std::string name;
    std::size_t header_offset = 0;  // of its description's '{', in the file
    dtype type = dtype::float32;
    std::vector<std::size_t> shape;
    std::size_t begin = 0, end = 0;  // data_offsets, relative to the data buffer
};

class safetensors_parser {
public:
    safetensors_parser(std::string_view header, std::string_view source)
        : json_(header, concat({"typenet: ", source, ": bad safetensors header"}), 8) {}

    // Fills `entries` (in header order) and `metadata`.
    void parse(std::vector<safetensors_entry>& entries, safetensors_metadata& metadata) {
        if (json_.peek() != json::kind::object)
            json_.fail(concat({"the header must be a JSON object, found ", json::describe(json_.peek())}));
        json_.begin_object();
        std::string key;
        while (json_.next_member(key)) {
            if (key == "__metadata__") parse_metadata(metadata);
            else entries.push_back(parse_entry(std::move(key)));
        }
        json_.finish();
    }

private:
    void parse_metadata(safetensors_metadata& metadata) {
        if (json_.peek() != json::kind::object)
            json_.fail(concat({"\"__metadata__\" must be an object of strings ({\"format\": \"pt\"}), found ",
                               json::describe(json_.peek())}));
        json_.begin_object();
        std::string key;
        while (json_.next_member(key)) {
            if (json_.peek() != json::kind::string)
                json_.fail(concat({"\"__metadata__\" may hold only strings, but its ", json::quote_for_message(key),
                                   " is ", json::describe(json_.peek())}));
            metadata.emplace_back(std::move(key), json_.read_string());
        }
    }

    safetensors_entry parse_entry(std::string name) {
        safetensors_entry e;
        e.name = std::move(name);
        const std::string quoted = json::quote_for_message(e.name);
        if (json_.peek() != json::kind::object)
            json_.fail(concat({"tensor ", quoted, " must be described by an object {\"dtype\": ..., \"shape\": [...], ",
                               "\"data_offsets\": [begin, end]}, found ", json::describe(json_.peek())}));
        e.header_offset = json_.offset();
        json_.begin_object();
        bool has_dtype = false, has_shape = false, has_offsets = false;
        std::string field;
        while (json_.next_member(field)) {
            if (field == "dtype") {
                has_dtype = true;
                e.type = parse_dtype(quoted);
            } else if (field == "shape") {
                has_shape = true;
                expect_array(quoted, "\"shape\" must be an array of non-negative integers");
                json_.begin_array();
                while (json_.next_element()) e.shape.push_back(read_size(quoted, "a dimension"));
            } else if (field == "data_offsets") {
                has_offsets = true;
                parse_offsets(e, quoted);
            } else {
                json_.skip_value();  // other fields carry nothing a reader needs
            }
        }
        const std::string_view missing = !has_dtype     ? "dtype"
                                         : !has_shape   ? "shape"
                                         : !has_offsets ? "data_offsets"
                                                        : "";
        if (!missing.empty())
            json_.fail_at(e.header_offset, concat({"tensor ", quoted, " has no \"", missing, "\" field"}));
        return e;
    }

    dtype parse_dtype(const std::string& quoted) {
        if (json_.peek() != json::kind::string)
            json_.fail(concat({"the \"dtype\" of tensor ", quoted, " must be a string such as \"F32\", found ",
                               json::describe(json_.peek())}));
        const std::size_t at = json_.offset();
        const std::string name = json_.read_string();
        for (dtype t : all_dtypes)
            if (safetensors_dtype_name(t) == name) return t;
        for (const unsupported_safetensors_dtype& u : unsupported_safetensors_dtypes)
            if (u.name == name)
                json_.fail_at(at, concat({"tensor ", quoted, " has dtype ", u.name, ", which typenet does not support ",
                                          "(it reads BOOL, U8, I8, I16, I32, I64, F16, BF16, F32 and F64); convert ",
                                          "it before saving, e.g. ", u.advice, " in PyTorch"}));
        json_.fail_at(at, concat({"tensor ", quoted, " has the unknown dtype ", json::quote_for_message(name),
                                  "; safetensors dtypes are BOOL, U8, I8, I16, U16, F16, BF16, I32, U32, F32, F64, ",
                                  "I64, U64 and the F8 variants"}));
    }

    void parse_offsets(safetensors_entry& e, const std::string& quoted) {
        const std::size_t at = json_.offset();
        expect_array(quoted, "\"data_offsets\" must be an array [begin, end]");
        json_.begin_array();
        std::size_t values[2] = {0, 0};
        std::size_t count = 0;
        while (json_.next_element()) {
            if (count == 2) json_.fail(concat({"the \"data_offsets\" of tensor ", quoted, " must be [begin, end], "
                                               "but it has more than two numbers"}));
            values[count++] = read_size(quoted, "a data offset");
        }
        if (count != 2)
            json_.fail_at(at, concat({"the \"data_offsets\" of tensor ", quoted, " must be [begin, end], but it has ",
                                      std::to_string(count), count == 1 ? " number" : " numbers"}));
        e.begin = values[0];
        e.end = values[1];
        if (e.end < e.begin)
            json_.fail_at(at, concat({"the \"data_offsets\" of tensor ", quoted, " end before they begin: [",
                                      std::to_string(e.begin), ", ", std::to_string(e.end), "]"}));
    }

    void expect_array(const std::string& quoted, std::string_view rule) {
        if (json_.peek() != json::kind::array)
            json_.fail(concat({"tensor ", quoted, ": ", rule, ", found ", json::describe(json_.peek())}));
    }

    std::size_t read_size(const std::string& quoted, std::string_view what) {
        if (json_.peek() != json::kind::number)
            json_.fail(concat({"tensor ", quoted, ": expected ", what, " (a non-negative integer), found ",
                               json::describe(json_.peek())}));
        const std::size_t at = json_.offset();
        const std::uint64_t value = json_.read_uint64();
        if constexpr (sizeof(std::size_t) < sizeof(std::uint64_t)) {
            if (value > std::numeric_limits<std::size_t>::max())
                json_.fail_at(at, concat({"tensor ", quoted, ": ", what, " is too large for this machine's size_t"}));
        }
        return std::size_t(value);
    }

    json::reader json_;
};

// Checks the entries against each other and the data buffer, and orders them by data offset.
inline void validate_safetensors_layout(std::vector<safetensors_entry>& entries, const std::string& source,
                                        std::size_t data_start, std::size_t data_size) {
    std::stable_sort(entries.begin(), entries.end(), [](const safetensors_entry& a, const safetensors_entry& b) {
        return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
    });
    const std::string prefix = concat({"typenet: ", source, ": "});
    const auto range = [&](const safetensors_entry& e) {
        return concat({"data_offsets [", std::to_string(e.begin), ", ", std::to_string(e.end), "]"});
    };
    std::size_t expected_begin = 0;
    const safetensors_entry* previous = nullptr;
    for (const safetensors_entry& e : entries) {
        const std::string where = concat({"tensor ", json::quote_for_message(e.name), " (described at byte ",
                                          std::to_string(e.header_offset), ")"});
        if (e.begin != expected_begin) {
            if (!previous)
                throw format_error(concat({prefix, "the first tensor in data order, ", where, ", has ", range(e),
                                           ": the data must start with a tensor at offset 0 (the first ",
                                           std::to_string(e.begin), " bytes belong to no tensor)"}));
            if (e.begin > expected_begin)
                throw format_error(concat({prefix, where, " has ", range(e),
                                           " but the tensor before it in data order, ",
                                           json::quote_for_message(previous->name), ", ends at ",
                                           std::to_string(expected_begin), ": a gap of ",
                                           std::to_string(e.begin - expected_begin),
                                           " bytes belongs to no tensor; tensors must be back to back"}));
            throw format_error(concat({prefix, where, " has ", range(e), ", which overlaps tensor ",
                                       json::quote_for_message(previous->name), " (", range(*previous),
                                       "); tensors must not share bytes"}));
        }
        std::size_t needed = 0;
        const std::size_t element_size = size_of(e.type);
        if (!checked_byte_size(e.shape, element_size, needed))
            throw format_error(concat({prefix, where, " has shape ", shape_to_text(e.shape),
                                       ", too large: its size in bytes does not fit in 64 bits"}));
        if (needed != e.end - e.begin)
            throw format_error(concat({prefix, where, ": dtype ", safetensors_dtype_name(e.type), " and shape ",
                                       shape_to_text(e.shape), " need ", std::to_string(needed), " bytes, but its ",
                                       range(e), " hold ", std::to_string(e.end - e.begin)}));
        if (e.end > data_size)
            throw format_error(concat({prefix, where, " has ", range(e), ", past the end of the data (",
                                       std::to_string(data_size), " bytes, ",
                                       file_range(data_start, data_start + data_size), "): the file is truncated"}));
        expected_begin = e.end;
        previous = &e;
    }
    if (expected_begin != data_size)
        throw format_error(concat({prefix, "the tensors end at data offset ", std::to_string(expected_begin),
                                   " but the data is ", std::to_string(data_size), " bytes long: ",
                                   std::to_string(data_size - expected_begin), " trailing bytes (",
                                   file_range(data_start + expected_begin, data_start + data_size),
                                   ") belong to no tensor"}));
}

// The header, padded with spaces to a multiple of 8 bytes so that the data after it starts
// aligned. Checks everything a reader would refuse; `destination` names the file in messages.
inline std::string safetensors_header(std::span<const safetensors_tensor> tensors, const safetensors_metadata& metadata,
                                      std::string_view destination) {
    const std::string prefix = concat({"typenet: cannot write safetensors to ", destination, ": "});
    const auto check_utf8 = [&](std::string_view text, std::string_view what) {
        const std::size_t bad = json::find_invalid_utf8(text);
        if (bad != std::string_view::npos)
            throw format_error(concat({prefix, what, " ", json::quote_for_message(text), " is not valid UTF-8 (byte ",
                                       std::to_string(bad), "); JSON text must be UTF-8"}));
    };
    std::string header = "{";
    if (!metadata.empty()) {
        std::unordered_set<std::string_view> keys;
        header += "\"__metadata__\":{";
        for (std::size_t i = 0; i < metadata.size(); ++i) {
            const auto& [key, value] = metadata[i];
            check_utf8(key, "the metadata key");
            check_utf8(value, "the metadata value");
            if (!keys.insert(key).second)
                throw format_error(
                    concat({prefix, "the metadata key ", json::quote_for_message(key), " appears twice"}));
            if (i) header += ',';
            json::append_quoted(header, key);
            header += ':';
            json::append_quoted(header, value);
        }
        header += '}';
    }
    std::unordered_set<std::string_view> names;
    std::size_t offset = 0;
    for (const safetensors_tensor& t : tensors) {
        const std::string quoted = json::quote_for_message(t.name);
        check_utf8(t.name, "the tensor name");
        if (t.name == "__metadata__")
            throw format_error(
                concat({prefix, "a tensor may not be named \"__metadata__\": the format reserves that key"}));
        if (!names.insert(t.name).second)
            throw format_error(concat({prefix, "two tensors are named ", quoted, "; names must be unique"}));
        std::size_t needed = 0;
        if (!checked_byte_size(t.shape, size_of(t.dtype), needed))
            throw format_error(concat({prefix, "tensor ", quoted, " has shape ", shape_to_text(t.shape),
                                       ", too large: its size in bytes does not fit in 64 bits"}));
        if (t.bytes.size() != needed)
            throw format_error(concat({prefix, "tensor ", quoted, " has ", std::to_string(t.bytes.size()),
                                       " bytes, but ", name(t.dtype), " ", shape_to_text(t.shape), " needs ",
                                       std::to_string(needed)}));
        if (header.size() > 1) header += ',';
        json::append_quoted(header, t.name);
        header += concat({":{\"dtype\":\"", safetensors_dtype_name(t.dtype), "\",\"shape\":["});
        for (std::size_t i = 0; i < t.shape.size(); ++i) {
            if (i) header += ',';
            header += std::to_string(t.shape[i]);
        }
        header += concat({"],\"data_offsets\":[", std::to_string(offset), ",", std::to_string(offset + needed), "]}"});
        offset += needed;  // cannot overflow: every tensor's bytes exist in memory
    }
    header += '}';
    header.append((8 - header.size() % 8) % 8, ' ');
    if (header.size() > safetensors_max_header_size)
        throw format_error(concat({prefix, "the header would be ", std::to_string(header.size()),
                                   " bytes, more than the format's limit of 100000000; write fewer tensors per file"}));
    return header;
}

inline void write_safetensors(std::span<const safetensors_tensor> tensors, const std::string& header,
                              const chunk_writer& write) {
    std::byte length[8];
    for (std::size_t i = 0; i < 8; ++i) length[i] = std::byte((std::uint64_t(header.size()) >> (8 * i)) & 0xFF);
    write(length);
    write(std::as_bytes(std::span(header)));
    for (const safetensors_tensor& t : tensors) write(t.bytes);
}

}  // namespace detail

TYPENET_IO_INLINE checkpoint read_safetensors(shared_bytes bytes, std::string source_name) {
    using detail::concat;
    if (!bytes) throw format_error(concat({"typenet: ", source_name, ": no bytes to read (a null pointer)"}));
    const std::string& source = source_name;
    const std::size_t size = bytes.data.size();
    if (size < 8)
        throw format_error(concat({"typenet: ", source, ": not a safetensors file: it is ", std::to_string(size),
                                   " bytes long, too short for the 8-byte header length every safetensors file ",
                                   "starts with"}));
    const std::uint64_t header_size = detail::load_le64(bytes.data.data());
    if (header_size > safetensors_max_header_size)
        throw format_error(concat({"typenet: ", source, ": not a safetensors file, or a damaged one: its first 8 ",
                                   "bytes give a header length of ", std::to_string(header_size),
                                   ", more than the format's limit of 100000000 bytes"}));
    if (header_size > size - 8)
        throw format_error(concat({"typenet: ", source, ": the header length in the first 8 bytes is ",
                                   std::to_string(header_size), " but only ", std::to_string(size - 8),
                                   " bytes follow it: the file is truncated, or not a safetensors file"}));
    const std::string_view header(reinterpret_cast<const char*>(bytes.data.data()) + 8, std::size_t(header_size));
    if (header.empty() || header[0] != '{')
        throw format_error(concat({"typenet: ", source, ": bad safetensors header at byte 8: the JSON header must ",
                                   "start with '{'", header.empty() ? ", but it is empty" : "",
                                   "; is this a safetensors file?"}));

    std::vector<detail::safetensors_entry> entries;
    checkpoint c;
    detail::safetensors_parser(header, source).parse(entries, c.metadata);
    const std::size_t data_start = 8 + std::size_t(header_size);
    detail::validate_safetensors_layout(entries, source, data_start, size - data_start);

    c.format = checkpoint_format::safetensors;
    c.source = std::move(source_name);
    c.is_state_dict = true;
    c.big_endian = false;
    c.tensors.reserve(entries.size());
    c.top_level.reserve(entries.size());
    for (detail::safetensors_entry& e : entries) {
        checkpoint_tensor t;
        t.dtype = e.type;
        t.strides.assign(e.shape.size(), 1);
        // PyTorch's contiguous strides: a dimension of size 0 counts as 1.
        for (std::size_t d = e.shape.size(); d-- > 1;)
            t.strides[d - 1] = t.strides[d] * std::max<std::size_t>(e.shape[d], 1);
        t.storage = std::span<const std::byte>(bytes.data.data() + data_start + e.begin, e.end - e.begin);
        t.storage_name = detail::file_range(data_start + e.begin, data_start + e.end);
        c.top_level.push_back({e.name, concat({"tensor ", name(e.type), " ", detail::shape_to_text(e.shape)})});
        t.key = std::move(e.name);
        t.shape = std::move(e.shape);
        c.tensors.push_back(std::move(t));
    }
    c.bytes = std::move(bytes);
    return c;
}

TYPENET_IO_INLINE checkpoint read_safetensors(const std::filesystem::path& path) {
    return read_safetensors(detail::read_file(path), path.string());
}

TYPENET_IO_INLINE std::vector<std::byte> encode_safetensors(std::span<const safetensors_tensor> tensors,
                                                            const safetensors_metadata& metadata) {
    const std::string header = detail::safetensors_header(tensors, metadata, "<memory>");
    std::size_t size = 8 + header.size();
    for (const safetensors_tensor& t : tensors) size += t.bytes.size();
    std::vector<std::byte> out(size);
    std::size_t at = 0;
    detail::write_safetensors(tensors, header, [&](std::span<const std::byte> chunk) {
        if (!chunk.empty()) std::memcpy(out.data() + at, chunk.data(), chunk.size());
        at += chunk.size();
    });
    return out;
}

TYPENET_IO_INLINE void save_safetensors(std::span<const safetensors_tensor> tensors, const std::filesystem::path& path,
                                        const safetensors_metadata& metadata) {
    const std::string header = detail::safetensors_header(tensors, metadata, path.string());
    detail::write_file_atomically(path, [&](const detail::chunk_writer& write) {
        detail::write_safetensors(tensors, header, write);
    });
}

namespace detail {

TYPENET_IO_INLINE void save_safetensors_state(std::span<const std::byte> state, std::span<const state_entry> entries,
                                              std::uint64_t fingerprint, const std::filesystem::path& path) {
    std::vector<safetensors_tensor> tensors(entries.size());
    for (std::size_t i = 0; i < tensors.size(); ++i) {
        const state_entry& e = entries[i];
        tensors[i].name = std::string(e.key);
        tensors[i].dtype = e.dtype;
        tensors[i].shape.assign(e.shape.begin(), e.shape.end());
        tensors[i].bytes = state.subspan(e.offset, e.nbytes);
    }
    save_safetensors(tensors, path,
                     {{"format", "pt"}, {std::string(fingerprint_metadata_key), fingerprint_text(fingerprint)}});
}

}  // namespace detail

}  // namespace typenet
#endif  // TYPENET_IO_DEFINITIONS
