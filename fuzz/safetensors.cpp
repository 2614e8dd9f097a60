// libFuzzer target for the safetensors reader and the JSON reader behind it.
//
// Each input is read twice: as a whole safetensors file, and as a JSON document that the JSON
// reader skips through. Reading must either throw typenet::format_error or give a checkpoint that
// keeps the format's promises; a checkpoint that reads must also survive a write and read back
// unchanged. Anything else (a crash, a sanitizer report, another exception) is a finding.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string_view>
#include <vector>

#include <typenet/safetensors.hpp>

namespace {

[[noreturn]] void finding(const char* what) {
    std::fprintf(stderr, "safetensors fuzz finding: %s\n", what);
    std::abort();
}

void check(bool condition, const char* what) {
    if (!condition) finding(what);
}

void check_checkpoint(const typenet::checkpoint& c) {
    const std::byte* const begin = c.bytes.data.data();
    const std::byte* const end = begin + c.bytes.data.size();
    const std::byte* previous_end = nullptr;
    for (const typenet::checkpoint_tensor& t : c.tensors) {
        check(t.storage.size() == t.numel() * typenet::size_of(t.dtype), "storage size is not numel * dtype size");
        check(t.storage.data() >= begin && t.storage.data() + t.storage.size() <= end, "storage outside the file");
        check(!previous_end || t.storage.data() == previous_end, "tensors not back to back in data order");
        check(t.strides.size() == t.shape.size() && t.storage_offset == 0, "strides or offset not row-major");
        previous_end = t.storage.data() + t.storage.size();
    }
    check(!previous_end || previous_end == end, "the last tensor does not end the file");
    check(c.top_level.size() == c.tensors.size(), "top_level does not list the tensors");
}

// Writes the checkpoint back and reads it again: names, dtypes, shapes, bytes, metadata agree.
void check_round_trip(const typenet::checkpoint& c) {
    std::vector<typenet::safetensors_tensor> tensors(c.tensors.size());
    for (std::size_t i = 0; i < tensors.size(); ++i) {
        tensors[i].name = c.tensors[i].key;
        tensors[i].dtype = c.tensors[i].dtype;
        tensors[i].shape = c.tensors[i].shape;
        tensors[i].bytes = c.tensors[i].storage;
    }
    std::shared_ptr<const std::vector<std::byte>> written;
    try {
        written = std::make_shared<const std::vector<std::byte>>(typenet::encode_safetensors(tensors, c.metadata));
    } catch (const typenet::format_error&) {
        finding("a checkpoint that reads cannot be written");
    }
    typenet::checkpoint again;
    try {
        again = typenet::read_safetensors(written, "<rewritten>");
    } catch (const typenet::format_error&) {
        finding("typenet's own output does not read");
    }
    check(again.metadata == c.metadata, "metadata changed in a round trip");
    check(again.tensors.size() == c.tensors.size(), "tensor count changed in a round trip");
    for (std::size_t i = 0; i < c.tensors.size(); ++i) {
        const typenet::checkpoint_tensor& a = c.tensors[i];
        const typenet::checkpoint_tensor& b = again.tensors[i];
        check(a.key == b.key && a.dtype == b.dtype && a.shape == b.shape, "a tensor changed in a round trip");
        check(a.storage.size() == b.storage.size() &&
                  (a.storage.empty() || std::memcmp(a.storage.data(), b.storage.data(), a.storage.size()) == 0),
              "tensor bytes changed in a round trip");
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto bytes = std::make_shared<std::vector<std::byte>>(size);
    if (size) std::memcpy(bytes->data(), data, size);
    try {
        const typenet::checkpoint c = typenet::read_safetensors(bytes, "<fuzz>");
        check_checkpoint(c);
        check_round_trip(c);
    } catch (const typenet::format_error&) {
        // A refusal is the expected outcome for most inputs.
    }

    const std::string_view text(reinterpret_cast<const char*>(data), size);
    try {
        typenet::detail::json::reader json(text, "<fuzz>");
        json.skip_value();
        json.finish();
        // A document the reader accepts is valid UTF-8 throughout.
        check(typenet::detail::json::find_invalid_utf8(text) == std::string_view::npos, "accepted JSON is not UTF-8");
    } catch (const typenet::format_error&) {
    }
    return 0;
}
