// Tests of weights in memory (read_checkpoint and load_state_dict on a std::span, serialization.hpp)
// and of the architecture fingerprint that typenet writes into the files it saves and checks on
// load (state_dict.hpp, serialization.hpp). typenet_embed_weights itself: examples/embedded and
// tests/install.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <typenet/combinators/sequential.hpp>
#include <typenet/layers/batch_norm.hpp>
#include <typenet/layers/conv2d.hpp>
#include <typenet/layers/flatten.hpp>
#include <typenet/layers/linear.hpp>
#include <typenet/layers/relu.hpp>
#include <typenet/layers/tanh.hpp>
#include <typenet/serialization.hpp>
#include <typenet/stream.hpp>

#include "pth_test_support.hpp"
#include "support.hpp"

#ifndef TYPENET_PTH_FILES_DIR
#error "TYPENET_PTH_FILES_DIR names the directory make_pth_files.py writes (see tests/pth.cmake)"
#endif

namespace fs = std::filesystem;
using Catch::Contains;

namespace {

using Small = typenet::Model<typenet::Linear<4, 2>, typenet::Input<4>>;
using Wider = typenet::Model<typenet::Linear<4, 3>, typenet::Input<4>>;
using Small64 = typenet::Model<typenet::Linear<4, 2>, typenet::Input<4>, double>;
using Tanh = typenet::Model<typenet::Sequential<typenet::Linear<4, 2>, typenet::Tanh>, typenet::Input<4>>;
using Relu = typenet::Model<typenet::Sequential<typenet::Linear<4, 2>, typenet::ReLU>, typenet::Input<4>>;
// The model of make_pth_files.py (tests/interop): conv, batch norm, linear.
using PthModel = typenet::Model<
    typenet::Sequential<typenet::Named<"features", typenet::Sequential<typenet::Conv2d<1, 4, 3>, typenet::BatchNorm2d<4>,
                                                                        typenet::ReLU>>,
                        typenet::Flatten, typenet::Named<"classifier", typenet::Linear<4 * 6 * 6, 3>>>,
    typenet::Input<1, 8, 8>>;

fs::path pth_file(const std::string& name) { return fs::path(TYPENET_PTH_FILES_DIR) / name; }

std::vector<std::byte> file_bytes(const fs::path& path) { return test::read_bytes(path.string()); }

template <class F>
std::string error_of(F&& f) {
    try {
        f();
    } catch (const typenet::error& e) {
        return e.what();
    }
    return "(no error)";
}

template <class M>
std::unique_ptr<M> numbered_model() {
    auto model = std::make_unique<M>();
    for (std::size_t i = 0; i < M::state_bytes / sizeof(typename M::scalar_type); ++i)
        reinterpret_cast<typename M::scalar_type*>(model->state().data())[i] = typename M::scalar_type(i % 97) / 8;
    return model;
}

// The entries of two models hold the same bytes (the padding between them aside).
template <class M>
bool same_entries(const M& a, const M& b) {
    for (const typenet::state_entry& e : M::state_dict)
        if (!std::ranges::equal(a.bytes(e), b.bytes(e))) return false;
    return true;
}

// The definition of the fingerprint (state_dict.hpp), spelled out: FNV-1a 64 over these lines.
std::uint64_t fnv1a(std::string_view text) {
    std::uint64_t hash = 0xcbf29ce484222325u;
    for (char c : text) hash = (hash ^ static_cast<unsigned char>(c)) * 0x100000001b3u;
    return hash;
}

}  // namespace

TEST_CASE("a file in memory reads as the same file on disk: format, tensors, metadata, errors", "[embed]") {
    // Every checkpoint PyTorch wrote for the .pth tests (zip, legacy, every protocol, damaged and
    // hostile ones) and one safetensors file: the bytes, named as the file, give the same checkpoint
    // or the same message.
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(TYPENET_PTH_FILES_DIR))
        if (entry.path().extension() == ".pth") files.push_back(entry.path());
    REQUIRE(files.size() > 20);
    const test::temp_dir dir;
    const fs::path safetensors = dir / "small.safetensors";
    typenet::save_safetensors(*numbered_model<Small>(), safetensors);
    files.push_back(safetensors);
    std::size_t read = 0, refused = 0;
    for (const fs::path& path : files) {
        CAPTURE(path);
        const std::vector<std::byte> bytes = file_bytes(path);
        typenet::checkpoint from_file, from_memory;
        const std::string file_error = error_of([&] { from_file = typenet::read_checkpoint(path); });
        const std::string memory_error = error_of([&] { from_memory = typenet::read_checkpoint(bytes, path.string()); });
        CHECK(memory_error == file_error);
        if (file_error != "(no error)") {
            ++refused;
            continue;
        }
        ++read;
        CHECK(from_memory.format == from_file.format);
        CHECK(from_memory.source == from_file.source);
        CHECK(from_memory.is_state_dict == from_file.is_state_dict);
        CHECK(from_memory.metadata == from_file.metadata);
        CHECK(from_memory.bytes.data.data() == bytes.data());  // nothing copied
        REQUIRE(from_memory.tensors.size() == from_file.tensors.size());
        for (std::size_t i = 0; i < from_file.tensors.size(); ++i) {
            const typenet::checkpoint_tensor &a = from_memory.tensors[i], &b = from_file.tensors[i];
            CHECK(a.key == b.key);
            CHECK(a.dtype == b.dtype);
            CHECK(a.shape == b.shape);
            CHECK(a.strides == b.strides);
            CHECK(a.storage_name == b.storage_name);
            CHECK(std::equal(a.storage.begin(), a.storage.end(), b.storage.begin(), b.storage.end()));
        }
    }
    CHECK(read > 10);
    CHECK(refused > 3);
}

TEST_CASE("load_state_dict from memory: PyTorch's zip and legacy files, typenet's, safetensors", "[embed]") {
    for (const char* name : {"cuda.pth", "cuda_legacy.pth"}) {
        CAPTURE(name);
        auto from_file = std::make_unique<PthModel>();
        auto from_memory = std::make_unique<PthModel>();
        typenet::load_state_dict(*from_file, pth_file(name));
        const std::vector<std::byte> bytes = file_bytes(pth_file(name));
        typenet::load_state_dict(*from_memory, bytes);
        CHECK(same_entries(*from_memory, *from_file));
        CHECK(from_memory->at<"features.1.num_batches_tracked">()[0] > 0);  // Python ran forwards: not the initial 0
    }
    const auto saved = numbered_model<Small>();
    const test::temp_dir dir;
    for (const fs::path& path : {dir / "small.pth", dir / "small.safetensors"}) {
        CAPTURE(path);
        if (path.extension() == ".pth") typenet::save_state_dict(*saved, path);
        else typenet::save_safetensors(*saved, path);
        const std::vector<std::byte> bytes = file_bytes(path);
        auto model = std::make_unique<Small>();
        typenet::load_state_dict(*model, std::span<const std::byte>(bytes), "weights in memory");
        CHECK(same_entries(*model, *saved));
    }
}

TEST_CASE("errors from memory name \"<memory>\" or the name given", "[embed]") {
    auto model = std::make_unique<Small>();
    const std::vector<std::byte> nothing;
    CHECK(error_of([&] { typenet::load_state_dict(*model, nothing); }) ==
          "typenet: <memory> is neither a PyTorch checkpoint (torch.save: a zip archive, or a pickle in the legacy "
          "format) nor a safetensors file (it is empty)");
    const std::vector<std::byte> text = test::bytes_of("hello, world");
    CHECK_THAT(error_of([&] { typenet::read_checkpoint(text, "firmware blob"); }),
               Contains("typenet: firmware blob is neither a PyTorch checkpoint"));
    // A missing key, found from memory: the load's own message, with the name.
    const test::temp_dir dir;
    const fs::path path = dir / "tanh.pth";
    typenet::save_state_dict(*numbered_model<Wider>(), path);
    std::vector<std::byte> bytes = file_bytes(path);
    typenet::load_options lenient;
    lenient.check_fingerprint = false;
    CHECK_THAT(error_of([&] { typenet::load_state_dict(*model, bytes, "weights.pth", lenient); }),
               Contains("Error(s) in loading state_dict from weights.pth:") &&
                   Contains("size mismatch for weight: copying a param with shape [3, 4] from checkpoint"));
    // A damaged record: the CRC-32 check, as for a file.
    const typenet::detail::zip_reader zip(bytes, "");
    bytes[zip.find("tanh/data/0")->data_offset] ^= std::byte{0x55};
    CHECK_THAT(error_of([&] { typenet::load_state_dict(*model, bytes); }),
               Contains("typenet: <memory>: zip entry") && Contains("is corrupted"));
}

TEST_CASE("the fingerprint: FNV-1a 64 of \"key dtype [dims]\" lines, the same for float and double", "[embed]") {
    static_assert(Small::fingerprint == typenet::architecture_fingerprint(Small::state_dict));
    CHECK(Small::fingerprint == fnv1a("weight float32 [2, 4]\nbias float32 [2]\n"));
    CHECK(Small64::fingerprint == fnv1a("weight float64 [2, 4]\nbias float64 [2]\n"));
    CHECK(PthModel::fingerprint ==
          fnv1a("features.0.weight float32 [4, 1, 3, 3]\nfeatures.0.bias float32 [4]\nfeatures.1.weight float32 [4]\n"
                "features.1.bias float32 [4]\nfeatures.1.running_mean float32 [4]\nfeatures.1.running_var float32 [4]\n"
                "features.1.num_batches_tracked int64 []\nclassifier.weight float32 [3, 144]\nclassifier.bias float32 [3]\n"));
    constexpr typenet::dtype float64 = typenet::dtype::float64;
    static_assert(typenet::architecture_fingerprint(Small::state_dict, &float64) == Small64::fingerprint);
    // A Stream of a network has its Model's state_dict, so its fingerprint.
    static_assert(typenet::Stream<typenet::Linear<4, 2>, typenet::Input<4>>::fingerprint == Small::fingerprint);
    static_assert(Wider::fingerprint != Small::fingerprint);
    static_assert(Tanh::fingerprint != Small::fingerprint);  // its Linear's keys are "0.weight", "0.bias"
    // Keys, shapes and dtypes only: an activation has no entry, so swapping one changes nothing.
    static_assert(Tanh::fingerprint == Relu::fingerprint);
}

TEST_CASE("files typenet saves carry the fingerprint, and another architecture refuses them", "[embed]") {
    const auto saved = numbered_model<Small>();
    const test::temp_dir dir;
    for (const fs::path& path : {dir / "fp.pth", dir / "fp.safetensors"}) {
        CAPTURE(path);
        const bool pth = path.extension() == ".pth";
        if (pth) typenet::save_state_dict(*saved, path);
        else typenet::save_safetensors(*saved, path);
        const typenet::checkpoint c = typenet::read_checkpoint(path);
        const std::pair<std::string, std::string> expected{"typenet.fingerprint", "6e3db50a50cdec6e"};
        REQUIRE(std::find(c.metadata.begin(), c.metadata.end(), expected) != c.metadata.end());
        CHECK(Small::fingerprint == 0x6e3db50a50cdec6eu);  // fnv1a("weight float32 [2, 4]\nbias float32 [2]\n")

        // The same network in double: converted, as without a fingerprint.
        auto model64 = std::make_unique<Small64>();
        typenet::load_state_dict(*model64, path);
        CHECK(model64->at<"bias">()[1] == double(saved->at<"bias">()[1]));

        // Another architecture: refused before anything else, naming both, the first difference, and the way out.
        auto wider = std::make_unique<Wider>();
        const std::string error = error_of([&] { typenet::load_state_dict(*wider, path); });
        CHECK(error == "typenet: " + path.string() +
                           " holds weights that typenet saved for another architecture: fingerprint 6e3db50a50cdec6e "
                           "(2 entries, 10 elements), but this model's is " +
                           typenet::detail::fingerprint_text(Wider::fingerprint) +
                           " (2 entries, 15 elements); entry 0 is \"weight\" float32 [2, 4] in the file, \"weight\" "
                           "float32 [3, 4] in the model. Load the weights saved for this model; to load the entries "
                           "that match, pass load_options::strict = false (check_fingerprint = false skips this check).");
        auto tanh = std::make_unique<Tanh>();
        CHECK_THAT(error_of([&] { typenet::load_state_dict(*tanh, path); }),
                   Contains("another architecture") && Contains("entry 0 is \"weight\" float32 [2, 4] in the file, "
                                                                "\"0.weight\" float32 [2, 4] in the model"));
        // Not strict: the entries that match load, as PyTorch's strict=False.
        typenet::load_options partial;
        partial.strict = false;
        const typenet::load_result r = typenet::load_state_dict(*tanh, path, partial);
        CHECK(r.missing_keys == std::vector<std::string>{"0.weight", "0.bias"});
        // Without the check, the strict load's own message.
        typenet::load_options unchecked;
        unchecked.check_fingerprint = false;
        CHECK_THAT(error_of([&] { typenet::load_state_dict(*wider, path, unchecked); }),
                   Contains("size mismatch for weight"));

        // A fingerprint that the entries no longer match: the file was edited after saving.
        typenet::checkpoint edited = typenet::read_checkpoint(path);
        for (auto& [key, value] : edited.metadata)
            if (key == "typenet.fingerprint") value = "0123456789abcdef";
        auto model = std::make_unique<Small>();
        CHECK_THAT(error_of([&] { typenet::load_state_dict(*model, edited); }),
                   Contains("fingerprint 0123456789abcdef (2 entries, 10 elements), but this model's is 6e3db50a50cdec6e") &&
                       Contains("the file's entries are the model's, so it was changed after typenet saved it"));
        typenet::load_state_dict(*model, edited, unchecked);
        CHECK(same_entries(*model, *saved));
    }
    // PyTorch's files have none: loaded as before.
    auto model = std::make_unique<PthModel>();
    CHECK(typenet::read_checkpoint(pth_file("cuda.pth")).metadata.empty());
    typenet::load_state_dict(*model, pth_file("cuda.pth"));
}
