// What the .pth fuzz targets check about a checkpoint that read_pth accepted: every tensor's view
// lies inside its storage and every storage inside the file, with sizes that fit in 64 bits.
// A violation aborts, which libFuzzer reports as a finding.
#pragma once

#include <cstddef>
#include <cstdio>
#include <cstdlib>

#include <memory>
#include <span>
#include <vector>

#include <typenet/checkpoint.hpp>
#include <typenet/pth.hpp>

namespace fuzz {

[[noreturn]] inline void finding(const char* what) {
    std::fprintf(stderr, "pth fuzz finding: %s\n", what);
    std::abort();
}

inline void check(bool condition, const char* what) {
    if (!condition) finding(what);
}

inline void check_checkpoint(const typenet::checkpoint& c) {
    check(bool(c.bytes), "no bytes");
    const std::byte* const begin = c.bytes.data.data();
    const std::byte* const end = begin + c.bytes.data.size();
    check(c.is_state_dict || c.tensors.empty(), "tensors without a state_dict");
    for (const typenet::checkpoint_tensor& t : c.tensors) {
        check(t.strides.size() == t.shape.size(), "strides and shape differ in rank");
        check(t.storage.empty() || (t.storage.data() >= begin && t.storage.data() + t.storage.size() <= end),
              "storage outside the file");
        unsigned __int128 numel = 1, last = t.storage_offset;
        for (std::size_t d = 0; d < t.shape.size(); ++d) {
            numel *= t.shape[d];
            if (numel > ~std::uint64_t(0)) finding("element count overflows");
        }
        check(numel * typenet::size_of(t.dtype) <= ~std::uint64_t(0), "byte count overflows");
        if (numel == 0) continue;
        for (std::size_t d = 0; d < t.shape.size(); ++d) last += (unsigned __int128)(t.shape[d] - 1) * t.strides[d];
        check((last + 1) * typenet::size_of(t.dtype) <= t.storage.size(), "view outside its storage");
    }
}

// Reads the input as a whole .pth file; anything accepted must pass check_checkpoint.
inline void check_read_pth(std::span<const std::byte> input) {
    try {
        auto bytes = std::make_shared<const std::vector<std::byte>>(input.begin(), input.end());
        check_checkpoint(typenet::read_pth(std::move(bytes), "fuzz.pth"));
    } catch (const typenet::format_error&) {
    }
}

}  // namespace fuzz
