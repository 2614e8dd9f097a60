// Helpers for the tests of the .pth reader: pickles written opcode by opcode (for inputs PyTorch
// cannot produce: hostile or corrupted ones), zip archives built in memory, expected tensors read
// from the manifests tests/interop/make_pth_files.py writes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <typenet/checkpoint.hpp>
#include <typenet/detail/formats/zip.hpp>

namespace test {

inline std::vector<std::byte> bytes_of(std::string_view text) {
    std::vector<std::byte> out(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) out[i] = std::byte(static_cast<unsigned char>(text[i]));
    return out;
}

inline std::vector<std::byte> read_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot open " + path + " (tests/interop/make_pth_files.py makes it)");
    const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    return bytes_of(text);
}

inline std::shared_ptr<const std::vector<std::byte>> shared(std::vector<std::byte> bytes) {
    return std::make_shared<const std::vector<std::byte>>(std::move(bytes));
}

// A pickle, opcode by opcode. Names follow pickletools.
struct pickle_builder {
    std::vector<std::byte> bytes;

    pickle_builder& op(unsigned char code) {
        bytes.push_back(std::byte(code));
        return *this;
    }
    pickle_builder& raw(std::string_view text) {
        for (char c : text) bytes.push_back(std::byte(static_cast<unsigned char>(c)));
        return *this;
    }
    pickle_builder& little_endian(std::uint64_t value, int width) {
        for (int i = 0; i < width; ++i) bytes.push_back(std::byte(value >> (8 * i) & 0xFF));
        return *this;
    }
    pickle_builder& proto() { return op(0x80).op(2); }
    pickle_builder& stop() { return op('.'); }
    pickle_builder& mark() { return op('('); }
    pickle_builder& global(std::string_view module, std::string_view name) {
        return op('c').raw(module).raw("\n").raw(name).raw("\n");
    }
    pickle_builder& unicode(std::string_view text) { return op('X').little_endian(text.size(), 4).raw(text); }
    // BININT1, BININT2, BININT or LONG1, as Python's pickler chooses.
    pickle_builder& integer(std::int64_t value) {
        if (value >= 0 && value < 0x100) return op('K').little_endian(std::uint64_t(value), 1);
        if (value >= 0 && value < 0x10000) return op('M').little_endian(std::uint64_t(value), 2);
        if (value >= -0x80000000LL && value < 0x80000000LL) return op('J').little_endian(std::uint64_t(value), 4);
        return op(0x8a).op(8).little_endian(std::uint64_t(value), 8);
    }
    pickle_builder& int_tuple(std::initializer_list<std::uint64_t> values) {
        mark();
        for (std::uint64_t v : values) {
            if (v <= std::uint64_t(INT64_MAX)) integer(std::int64_t(v));
            else op(0x8a).op(9).little_endian(v, 8).op(0);  // LONG1: 9 bytes keep it positive
        }
        return op('t');
    }
    pickle_builder& ordered_dict() { return global("collections", "OrderedDict").op(')').op('R'); }
    // A tensor as torch.save writes it: _rebuild_tensor_v2 over a storage persistent id.
    pickle_builder& tensor(std::string_view storage_class, std::string_view key, std::uint64_t numel,
                           std::uint64_t offset, std::initializer_list<std::uint64_t> shape,
                           std::initializer_list<std::uint64_t> stride) {
        global("torch._utils", "_rebuild_tensor_v2");
        mark();
        mark().unicode("storage").global("torch", storage_class).unicode(key).unicode("cpu").integer(std::int64_t(numel));
        op('t').op('Q');
        integer(std::int64_t(offset)).int_tuple(shape).int_tuple(stride);
        op(0x89);  // requires_grad False
        ordered_dict();
        return op('t').op('R');
    }
};

// A zip archive in memory, written by zip_writer.
inline std::vector<std::byte> make_zip(const std::vector<std::pair<std::string, std::vector<std::byte>>>& entries,
                                       bool always_zip64 = false) {
    std::vector<std::byte> archive;
    typenet::detail::zip_writer writer(
        [&](std::span<const std::byte> chunk) { archive.insert(archive.end(), chunk.begin(), chunk.end()); },
        always_zip64);
    for (const auto& [name, data] : entries) writer.add(name, data);
    writer.finish();
    return archive;
}

// A torch.save-style archive: archive/data.pkl, archive/data/<key> for each storage, archive/version.
inline std::vector<std::byte> make_checkpoint_zip(const std::vector<std::byte>& pickle,
                                                  const std::vector<std::pair<std::string, std::vector<std::byte>>>& storages,
                                                  bool always_zip64 = false) {
    std::vector<std::pair<std::string, std::vector<std::byte>>> entries{{"archive/data.pkl", pickle}};
    for (const auto& [key, data] : storages) entries.emplace_back("archive/data/" + key, data);
    entries.emplace_back("archive/version", bytes_of("3\n"));
    return make_zip(entries, always_zip64);
}

// One line of a manifest: a tensor as PyTorch saw it, and where its values are in NAME.values.
struct expected_tensor {
    std::string key, dtype;
    std::vector<std::size_t> shape, strides;
    std::size_t storage_offset = 0, storage_group = 0, values_offset = 0, values_length = 0;
};

inline std::vector<std::size_t> parse_dims(const std::string& text) {
    std::vector<std::size_t> dims;
    if (text == "-") return dims;
    std::stringstream in(text);
    std::string part;
    while (std::getline(in, part, ',')) dims.push_back(std::stoull(part));
    return dims;
}

inline std::vector<expected_tensor> read_manifest(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw std::runtime_error("cannot open " + path + " (tests/interop/make_pth_files.py makes it)");
    std::vector<expected_tensor> tensors;
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty()) continue;
        std::istringstream fields(line);
        expected_tensor t;
        std::string shape, strides;
        fields >> t.key >> t.dtype >> shape >> strides >> t.storage_offset >> t.storage_group >> t.values_offset >>
            t.values_length;
        if (!fields) throw std::runtime_error("malformed manifest line in " + path + ": " + line);
        t.shape = parse_dims(shape);
        t.strides = parse_dims(strides);
        tensors.push_back(std::move(t));
    }
    return tensors;
}

// The tensor's elements in row-major order, gathered through its strides: what PyTorch's
// tensor.contiguous() holds. Written here independently of the library's own copy routines.
inline std::vector<std::byte> gather(const typenet::checkpoint_tensor& t) {
    const std::size_t element = typenet::size_of(t.dtype);
    std::vector<std::byte> out;
    const std::size_t n = t.numel();
    std::vector<std::size_t> index(t.shape.size(), 0);
    for (std::size_t k = 0; k < n; ++k) {
        std::size_t offset = t.storage_offset;
        for (std::size_t d = 0; d < index.size(); ++d) offset += index[d] * t.strides[d];
        if ((offset + 1) * element > t.storage.size()) throw std::runtime_error("gather: outside the storage");
        out.insert(out.end(), t.storage.begin() + std::ptrdiff_t(offset * element),
                   t.storage.begin() + std::ptrdiff_t((offset + 1) * element));
        for (std::size_t d = index.size(); d-- > 0;) {
            if (++index[d] < t.shape[d]) break;
            index[d] = 0;
        }
    }
    return out;
}

}  // namespace test
