// The data.pkl of a .pth checkpoint for a model type, computed at compile time: the state_dict
// depends only on the type, so the pickle does too ("static serialization").
//
// The stream is what torch.save(model.state_dict()) writes, in pickle protocol 2, minus the memo
// (BINPUT/BINGET are optional): an OrderedDict of key -> _rebuild_tensor_v2(storage, offset, size,
// stride, requires_grad=False, OrderedDict()), storages as persistent ids ('storage', <dtype>Storage,
// "<index>", 'cpu', numel) whose bytes go to data/<index>, then `_metadata` (each module's path ->
// {'version': N}) set with BUILD. Only opcodes and globals of torch's weights_only loader are used.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "../../dtype.hpp"
#include "../../state_dict.hpp"

namespace typenet::detail {

// Writes pickle opcodes into `out`, or only counts them when `out` is null.
struct pickle_sink {
    char* out = nullptr;
    std::size_t size = 0;

    constexpr void byte(unsigned v) {
        if (out) out[size] = char(v & 0xFF);
        ++size;
    }
    constexpr void little_endian(std::uint64_t v, int bytes) {
        for (int i = 0; i < bytes; ++i) byte(unsigned(v >> (8 * i)));
    }
    constexpr void text(std::string_view s) {
        for (char c : s) byte(static_cast<unsigned char>(c));
    }
    constexpr void mark() { byte('('); }
    constexpr void global(std::string_view module, std::string_view name) {
        byte('c');
        text(module);
        byte('\n');
        text(name);
        byte('\n');
    }
    constexpr void unicode(std::string_view s) {  // BINUNICODE: keys are UTF-8, as in the C++ source
        byte('X');
        little_endian(s.size(), 4);
        text(s);
    }
    constexpr void integer(std::uint64_t v) {
        if (v < 0x100) {
            byte('K');  // BININT1
            byte(unsigned(v));
        } else if (v < 0x10000) {
            byte('M');  // BININT2
            little_endian(v, 2);
        } else if (v < 0x80000000u) {
            byte('J');  // BININT, signed 32-bit
            little_endian(v, 4);
        } else {
            int bytes = 1;  // LONG1: little-endian two's complement; a clear top bit keeps it positive
            while (bytes < 8 && (v >> (8 * bytes - 1)) != 0) ++bytes;
            if ((v >> 63) != 0) bytes = 9;
            byte(0x8A);
            byte(unsigned(bytes));
            for (int i = 0; i < bytes; ++i) byte(i < 8 ? unsigned(v >> (8 * i)) : 0u);
        }
    }
    constexpr void decimal(std::size_t v) {  // a storage key: "0", "1", ...
        char digits[24] = {};
        std::size_t n = 0;
        do digits[n++] = char('0' + v % 10);
        while ((v /= 10) != 0);
        byte('X');
        little_endian(n, 4);
        while (n) byte(static_cast<unsigned char>(digits[--n]));
    }
    constexpr void int_tuple(const std::size_t* values, std::size_t count) {
        if (count == 0) {
            byte(')');  // EMPTY_TUPLE
            return;
        }
        mark();
        for (std::size_t i = 0; i < count; ++i) integer(values[i]);
        byte('t');
    }
    constexpr void empty_ordered_dict() {
        global("collections", "OrderedDict");
        byte(')');
        byte('R');
    }
};

constexpr std::string_view storage_class(dtype t) {
    switch (t) {
        case dtype::float32: return "FloatStorage";
        case dtype::float64: return "DoubleStorage";
        case dtype::float16: return "HalfStorage";
        case dtype::bfloat16: return "BFloat16Storage";
        case dtype::int64: return "LongStorage";
        case dtype::int32: return "IntStorage";
        case dtype::int16: return "ShortStorage";
        case dtype::int8: return "CharStorage";
        case dtype::uint8: return "ByteStorage";
        case dtype::bool_: return "BoolStorage";
    }
    return "";
}

struct module_version {
    std::string_view path;
    int version;
};

template <std::size_t Entries, std::size_t Modules>
constexpr void write_state_dict_pickle(pickle_sink& p, const std::array<state_entry, Entries>& entries,
                                       const std::array<module_version, Modules>& modules) {
    p.byte(0x80);  // PROTO 2
    p.byte(2);
    p.empty_ordered_dict();
    if (Entries > 0) {
        p.mark();
        for (std::size_t i = 0; i < Entries; ++i) {
            const state_entry& e = entries[i];
            p.unicode(e.key);
            p.global("torch._utils", "_rebuild_tensor_v2");
            p.mark();
            p.mark();  // the persistent id of the storage
            p.unicode("storage");
            p.global("torch", storage_class(e.dtype));
            p.decimal(i);
            p.unicode("cpu");
            p.integer(e.numel);
            p.byte('t');
            p.byte('Q');  // BINPERSID
            p.integer(0);  // storage_offset
            std::size_t strides[max_rank] = {};
            std::size_t stride = 1;
            for (std::size_t d = e.shape.rank; d-- > 0;) {
                strides[d] = stride;
                stride *= e.shape.dims[d];
            }
            p.int_tuple(e.shape.dims, e.shape.rank);
            p.int_tuple(strides, e.shape.rank);
            p.byte(0x89);  // NEWFALSE: requires_grad
            p.empty_ordered_dict();  // backward_hooks
            p.byte('t');
            p.byte('R');
        }
        p.byte('u');  // SETITEMS
    }
    // state_dict._metadata, as nn.Module.state_dict() sets it.
    p.byte('}');
    p.unicode("_metadata");
    p.empty_ordered_dict();
    p.mark();
    for (const module_version& m : modules) {
        p.unicode(m.path);
        p.byte('}');
        p.unicode("version");
        p.integer(std::uint64_t(m.version));
        p.byte('s');
    }
    p.byte('u');
    p.byte('s');
    p.byte('b');  // BUILD
    p.byte('.');  // STOP
}

}  // namespace typenet::detail
