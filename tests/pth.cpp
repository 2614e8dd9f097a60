// Tests of pth.hpp on checkpoints PyTorch wrote at test time (tests/interop/make_pth_files.py): every
// dtype, views, checkpoint dicts, DataParallel keys, CUDA locations, both formats; what it must
// refuse (TorchScript, code in the pickle, missing or short storages); and damaged files: every
// truncation and every single-byte corruption of a small checkpoint, and hand-made hostile ones.
#include <catch2/catch.hpp>

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <typenet/pth.hpp>

#include "pth_test_support.hpp"

#ifndef TYPENET_PTH_FILES_DIR
#error "TYPENET_PTH_FILES_DIR names the directory make_pth_files.py writes (see tests/pth.cmake)"
#endif

using typenet::checkpoint;
using typenet::checkpoint_format;
using typenet::format_error;

namespace {

std::string path_of(const std::string& name) { return std::string(TYPENET_PTH_FILES_DIR) + "/" + name; }

std::string error_of(const std::string& name, const typenet::read_options& options = {}) {
    try {
        typenet::read_pth(path_of(name), options);
    } catch (const format_error& e) {
        return e.what();
    }
    return "";
}

std::string error_of_bytes(std::vector<std::byte> bytes, const typenet::read_options& options = {}) {
    try {
        typenet::read_pth(test::shared(std::move(bytes)), "crafted.pth", options);
    } catch (const format_error& e) {
        return e.what();
    }
    return "";
}

// Checks every tensor against the manifest PyTorch wrote: order, dtype, shape, strides, offset,
// values, and which tensors share a storage.
void check_against_manifest(const checkpoint& c, const std::string& name) {
    const auto expected = test::read_manifest(path_of(name + ".manifest"));
    const auto values = test::read_bytes(path_of(name + ".values"));
    REQUIRE(c.is_state_dict);
    REQUIRE(c.tensors.size() == expected.size());
    for (std::size_t i = 0; i < expected.size(); ++i) {
        const auto& e = expected[i];
        const auto& t = c.tensors[i];
        CAPTURE(name, e.key);
        CHECK(t.key == e.key);
        CHECK(typenet::name(t.dtype) == e.dtype);
        CHECK(t.shape == e.shape);
        CHECK(t.strides == e.strides);
        CHECK(t.storage_offset == e.storage_offset);
        const std::vector<std::byte> want(values.begin() + std::ptrdiff_t(e.values_offset),
                                          values.begin() + std::ptrdiff_t(e.values_offset + e.values_length));
        CHECK(test::gather(t) == want);
        // Zero copy: the storage is inside the file's bytes.
        CHECK(t.storage.data() >= c.bytes.data.data());
        CHECK(t.storage.data() + t.storage.size() <= c.bytes.data.data() + c.bytes.data.size());
        CHECK_FALSE(t.storage_name.empty());
        for (std::size_t j = 0; j < i; ++j)
            CHECK((c.tensors[j].storage.data() == t.storage.data()) == (expected[j].storage_group == e.storage_group));
    }
}

// How many storage elements a view reaches (0 for an empty tensor), in 128 bits so that nothing wraps.
unsigned __int128 elements_reached(const typenet::checkpoint_tensor& t) {
    if (t.numel() == 0) return 0;
    unsigned __int128 last = t.storage_offset;
    for (std::size_t d = 0; d < t.shape.size(); ++d) last += (unsigned __int128)(t.shape[d] - 1) * t.strides[d];
    return last + 1;
}

}  // namespace

TEST_CASE("read_pth: every dtype, special values, 0-dim and empty tensors, both formats", "[pth]") {
    const checkpoint zip = typenet::read_pth(path_of("dtypes.pth"));
    CHECK(zip.format == checkpoint_format::pth_zip);
    CHECK_FALSE(zip.big_endian);
    CHECK(zip.source == path_of("dtypes.pth"));
    check_against_manifest(zip, "dtypes");
    const checkpoint legacy = typenet::read_pth(path_of("dtypes_legacy.pth"));
    CHECK(legacy.format == checkpoint_format::pth_legacy);
    CHECK_FALSE(legacy.big_endian);
    check_against_manifest(legacy, "dtypes_legacy");
    for (typenet::dtype d : typenet::all_dtypes) {
        CAPTURE(typenet::name(d));
        CHECK(zip.find(typenet::name(d)) != nullptr);
    }
    REQUIRE(zip.find("scalar") != nullptr);
    CHECK(zip.find("scalar")->shape.empty());
    CHECK(zip.find("scalar")->numel() == 1);
    CHECK(zip.find("empty")->numel() == 0);
}

TEST_CASE("read_pth: views, transposes, offsets, broadcasts and shared storages, both formats", "[pth]") {
    for (const char* name : {"views", "views_legacy"}) {
        const checkpoint c = typenet::read_pth(path_of(std::string(name) + ".pth"));
        check_against_manifest(c, name);
        CHECK(c.find("transposed")->storage.data() == c.find("base")->storage.data());
        CHECK(c.find("element")->shape.empty());
        CHECK(c.find("element")->storage_offset == 22);  // base[3, 4] of a 4x6 base
    }
}

TEST_CASE("read_pth: a checkpoint dict without a key says what each top-level key holds", "[pth]") {
    for (const char* name : {"checkpoint", "checkpoint_legacy"}) {
        CAPTURE(name);
        const checkpoint c = typenet::read_pth(path_of(std::string(name) + ".pth"));
        CHECK_FALSE(c.is_state_dict);
        CHECK(c.tensors.empty());
        std::ifstream expected(path_of(std::string(name) + ".top_level"));
        std::string line;
        std::size_t i = 0;
        while (std::getline(expected, line)) {
            REQUIRE(i < c.top_level.size());
            CHECK(c.top_level[i].key + "\t" + c.top_level[i].description == line);
            ++i;
        }
        CHECK(i == c.top_level.size());
        CHECK(i == 11);
    }
}

TEST_CASE("read_pth: state_dict_key picks the state_dict out of a checkpoint dict", "[pth]") {
    typenet::read_options options;
    options.state_dict_key = "model_state_dict";
    for (const char* name : {"checkpoint", "checkpoint_legacy"}) {
        const checkpoint c = typenet::read_pth(path_of(std::string(name) + ".pth"), options);
        check_against_manifest(c, name);
        CHECK(c.top_level.size() == 11);  // still the file's top level
    }
    options.state_dict_key = "model";
    CHECK_THAT(error_of("checkpoint.pth", options),
               Catch::Contains("no key 'model'") && Catch::Contains("'model_state_dict' (dict of 9 tensors)") &&
                   Catch::Contains("'epoch' (int 5)"));
    options.state_dict_key = "epoch";
    CHECK_THAT(error_of("checkpoint.pth", options), Catch::Contains("'epoch' holds int 5, not a state_dict"));
    options.state_dict_key = "optimizer_state_dict";
    CHECK_THAT(error_of("checkpoint.pth", options), Catch::Contains("holds dict (2 entries)"));
    options.state_dict_key = "model_state_dict";
    CHECK_THAT(error_of("small.pth", options), Catch::Contains("is a state_dict itself"));
}

TEST_CASE("read_pth: DataParallel keys, a buffer-saved archive, .data/version", "[pth]") {
    const checkpoint parallel = typenet::read_pth(path_of("dataparallel.pth"));
    check_against_manifest(parallel, "dataparallel");
    CHECK(parallel.tensors.at(0).key.starts_with("module."));
    // Saved to a BytesIO: the top folder is "archive", whatever the file is called.
    const checkpoint renamed = typenet::read_pth(path_of("renamed.pth"));
    check_against_manifest(renamed, "renamed");
    CHECK(renamed.tensors.at(0).storage_name.starts_with("archive/data/"));
    check_against_manifest(typenet::read_pth(path_of("data_version.pth")), "data_version");
}

TEST_CASE("read_pth: storages saved on a GPU load on the CPU", "[pth]") {
    // The files really say cuda:0: make_pth_files.py asserts it, and so does this.
    const auto bytes = test::read_bytes(path_of("cuda.pth"));
    const typenet::detail::zip_reader zip(bytes, "cuda.pth");
    const auto pickle = zip.data(*zip.find("cuda/data.pkl"));
    const std::string text(reinterpret_cast<const char*>(pickle.data()), pickle.size());
    CHECK(text.find("cuda:0") != std::string::npos);
    check_against_manifest(typenet::read_pth(path_of("cuda.pth")), "cuda");
    check_against_manifest(typenet::read_pth(path_of("cuda_legacy.pth")), "cuda_legacy");
}

TEST_CASE("read_pth: the zip reader sees what PyTorch wrote: stored, 64-byte aligned, CRCs right", "[pth][zip]") {
    const auto bytes = test::read_bytes(path_of("checkpoint.pth"));
    const typenet::detail::zip_reader zip(bytes, "checkpoint.pth");
    CHECK(zip.top_folder() == "checkpoint");
    CHECK(zip.entries().size() > 20);
    for (const auto& e : zip.entries()) {
        CAPTURE(e.name);
        CHECK(e.method == 0);
        CHECK(e.data_offset % 64 == 0);
        CHECK_NOTHROW(zip.verify_crc(e));
    }
}

TEST_CASE("read_pth: the checkpoint keeps the file's bytes alive", "[pth]") {
    auto bytes = test::shared(test::read_bytes(path_of("small.pth")));
    const std::vector<std::byte> copy = *bytes;
    const checkpoint c = typenet::read_pth(std::move(bytes), "small.pth");
    CHECK(c.bytes.owner.use_count() == 1);
    CHECK(std::equal(c.bytes.data.begin(), c.bytes.data.end(), copy.begin(), copy.end()));
    check_against_manifest(c, "small");
}

TEST_CASE("read_pth refuses TorchScript, other storage types, non-string keys", "[pth]") {
    CHECK_THAT(error_of("torchscript.pt"), Catch::Contains("TorchScript") && Catch::Contains("torch.jit.save") &&
                                               Catch::Contains("torch.save(model.state_dict()"));
    CHECK_THAT(error_of("complex.pth"), Catch::Contains("tensor 'real'") && Catch::Contains("torch.ComplexFloatStorage"));
    CHECK_THAT(error_of("int_key.pth"), Catch::Contains("key that is not a string: 1"));
    typenet::read_options options;
    options.state_dict_key = "model";
    CHECK_THAT(error_of("nested_int_key.pth", options), Catch::Contains("state_dict has a key that is not a string: 7"));
}

TEST_CASE("read_pth refuses a pickle that calls os.system, and runs nothing", "[pth]") {
    const std::string marker = path_of("payload_ran");
    std::filesystem::remove(marker);
    CHECK_THAT(error_of("payload.pth"), Catch::Contains("posix.system") && Catch::Contains("refusing the global") &&
                                            Catch::Contains("payload/data.pkl"));
    CHECK_FALSE(std::filesystem::exists(marker));
}

TEST_CASE("read_pth: missing and short storages name the tensor and the storage", "[pth]") {
    CHECK_THAT(error_of("missing_record.pth"),
               Catch::Contains("tensor 'bias'") && Catch::Contains("storage '1'") && Catch::Contains("small/data/1"));
    CHECK_THAT(error_of("short_record.pth"), Catch::Contains("small/data/0 holds 8 bytes") && Catch::Contains("6 elements"));
    CHECK_THAT(error_of("short_storage.pth"),
               Catch::Contains("tensor 'weight'") && Catch::Contains("shape [2, 3]") && Catch::Contains("stride [3, 1]") &&
                   Catch::Contains("storage offset 0") && Catch::Contains("needs 6 elements") &&
                   Catch::Contains("small/data/0 holds only 2 elements (8 bytes)"));
}

TEST_CASE("read_pth: every truncation of a real checkpoint is refused", "[pth][damage]") {
    for (const char* name : {"small.pth", "small_legacy.pth"}) {
        const auto bytes = test::read_bytes(path_of(name));
        REQUIRE_NOTHROW(typenet::read_pth(test::shared(bytes), name));
        for (std::size_t size = 0; size < bytes.size(); ++size) {
            CAPTURE(name, size);
            CHECK_THROWS_AS(typenet::read_pth(test::shared({bytes.begin(), bytes.begin() + std::ptrdiff_t(size)}), name),
                            format_error);
        }
    }
}

TEST_CASE("read_pth: every single-byte corruption of a real checkpoint is read or refused, never a crash", "[pth][damage]") {
    for (const char* name : {"small.pth", "small_legacy.pth"}) {
        const auto good = test::read_bytes(path_of(name));
        std::size_t refused = 0;
        for (std::size_t at = 0; at < good.size(); ++at) {
            for (std::byte value : {std::byte{0}, std::byte{0xFF}, good[at] ^ std::byte{1}}) {
                auto bytes = good;
                bytes[at] = value;
                try {
                    const checkpoint c = typenet::read_pth(test::shared(std::move(bytes)), name);
                    for (const auto& t : c.tensors) {
                        // What was accepted is consistent: the view lies inside its storage, inside the file.
                        REQUIRE(t.storage.data() >= c.bytes.data.data());
                        REQUIRE(t.storage.data() + t.storage.size() <= c.bytes.data.data() + c.bytes.data.size());
                        REQUIRE(elements_reached(t) * typenet::size_of(t.dtype) <= t.storage.size());
                    }
                } catch (const format_error&) {
                    ++refused;
                }
            }
        }
        CAPTURE(name);
        CHECK(refused > good.size());  // most corruptions are caught: CRCs, structure, magic numbers
    }
}

TEST_CASE("read_pth: damaged zip fields and CRCs of a real checkpoint", "[pth][damage]") {
    const auto good = test::read_bytes(path_of("small.pth"));
    auto find_last = [&](std::uint32_t signature) {
        for (std::size_t i = good.size() - 4; i-- > 0;)
            if (typenet::detail::load_little_endian(good.data() + i, 4) == signature) return i;
        FAIL("signature not found");
        return std::size_t(0);
    };
    const std::size_t zip64_end = find_last(typenet::detail::zip64_end_signature);
    auto patched = [&](std::size_t at, std::uint64_t value, int width) {
        auto bytes = good;
        for (int i = 0; i < width; ++i) bytes[at + std::size_t(i)] = std::byte(value >> (8 * i) & 0xFF);
        return bytes;
    };
    CHECK_THAT(error_of_bytes(patched(zip64_end + 48, 1u << 30, 8)), Catch::Contains("central directory"));
    CHECK_THAT(error_of_bytes(patched(zip64_end + 40, 1u << 30, 8)), Catch::Contains("central directory"));
    // The storage of "weight": one flipped bit in its data fails its CRC.
    const typenet::detail::zip_reader zip(good, "small.pth");
    const auto* weight = zip.find("small/data/0");
    REQUIRE(weight);
    auto flipped = good;
    flipped[std::size_t(weight->data_offset) + 5] ^= std::byte{0x10};
    CHECK_THAT(error_of_bytes(flipped), Catch::Contains("small/data/0") && Catch::Contains("CRC-32"));
    auto pickle_flipped = good;
    pickle_flipped[std::size_t(zip.find("small/data.pkl")->data_offset) + 40] ^= std::byte{0x10};
    CHECK_THAT(error_of_bytes(pickle_flipped), Catch::Contains("small/data.pkl") && Catch::Contains("CRC-32"));
}

TEST_CASE("read_pth: refuses compressed archives", "[pth]") {
    // small.pth with every entry's method set to deflate in the central directory.
    auto bytes = test::read_bytes(path_of("small.pth"));
    for (std::size_t i = 0; i + 4 <= bytes.size(); ++i)
        if (typenet::detail::load_little_endian(bytes.data() + i, 4) == typenet::detail::zip_central_header_signature)
            bytes[i + 10] = std::byte{8};
    CHECK_THAT(error_of_bytes(bytes), Catch::Contains("compressed") && Catch::Contains("torch.save"));
}

TEST_CASE("read_pth: hand-made hostile checkpoints", "[pth][damage]") {
    using B = test::pickle_builder;
    auto state_dict = [](auto&& entries) {
        B b;
        b.proto().ordered_dict().mark();
        entries(b);
        return b.op('u').stop().bytes;
    };
    const std::vector<std::byte> four_floats(16, std::byte{0});

    SECTION("a well-formed one reads, with zip64 extra fields everywhere") {
        const auto pickle = state_dict([](B& b) { b.unicode("w").tensor("FloatStorage", "0", 4, 0, {2, 2}, {2, 1}); });
        for (bool zip64 : {false, true}) {
            const checkpoint c = typenet::read_pth(test::shared(test::make_checkpoint_zip(pickle, {{"0", four_floats}}, zip64)), "ok.pth");
            REQUIRE(c.tensors.size() == 1);
            CHECK(c.tensors[0].shape == std::vector<std::size_t>{2, 2});
        }
    }
    SECTION("a byteorder record") {
        const auto pickle = state_dict([](B& b) { b.unicode("w").tensor("FloatStorage", "0", 4, 0, {4}, {1}); });
        for (const char* order : {"big", "little", "middle"}) {
            std::vector<std::pair<std::string, std::vector<std::byte>>> entries{
                {"archive/data.pkl", pickle}, {"archive/byteorder", test::bytes_of(order)},
                {"archive/data/0", four_floats}, {"archive/version", test::bytes_of("3\n")}};
            const auto archive = test::shared(test::make_zip(entries));
            if (std::string(order) == "middle")
                CHECK_THAT(error_of_bytes(*archive), Catch::Contains("should say 'little' or 'big'"));
            else
                CHECK(typenet::read_pth(archive, "order.pth").big_endian == (std::string(order) == "big"));
        }
    }
    SECTION("shapes whose element count overflows") {
        const auto pickle = state_dict([](B& b) {
            b.unicode("w").tensor("FloatStorage", "0", 4, 0, {1ull << 32, 1ull << 32, 2}, {0, 0, 0});
        });
        CHECK_THAT(error_of_bytes(test::make_checkpoint_zip(pickle, {{"0", four_floats}})),
                   Catch::Contains("tensor 'w'") && Catch::Contains("[4294967296, 4294967296, 2]") &&
                       Catch::Contains("overflows 64 bits"));
        // 2^62 float32 elements: the count fits, the bytes do not.
        const auto bytes_overflow = state_dict([](B& b) { b.unicode("w").tensor("FloatStorage", "0", 4, 0, {1ull << 62}, {0}); });
        CHECK_THAT(error_of_bytes(test::make_checkpoint_zip(bytes_overflow, {{"0", four_floats}})), Catch::Contains("overflows 64 bits"));
    }
    SECTION("strides and offsets that reach past the storage, or past 2^64") {
        const auto far = state_dict([](B& b) { b.unicode("w").tensor("FloatStorage", "0", 4, 0, {2, 2}, {1ull << 62, 1}); });
        CHECK_THAT(error_of_bytes(test::make_checkpoint_zip(far, {{"0", four_floats}})),
                   Catch::Contains("tensor 'w'") && Catch::Contains("holds only 4 elements"));
        const auto wrap = state_dict([](B& b) { b.unicode("w").tensor("FloatStorage", "0", 4, 1, {3}, {(1ull << 63) - 1}); });
        CHECK_THAT(error_of_bytes(test::make_checkpoint_zip(wrap, {{"0", four_floats}})), Catch::Contains("beyond 2^64"));
        const auto offset = state_dict([](B& b) { b.unicode("w").tensor("FloatStorage", "0", 4, 4, {1}, {1}); });
        CHECK_THAT(error_of_bytes(test::make_checkpoint_zip(offset, {{"0", four_floats}})),
                   Catch::Contains("storage offset 4") && Catch::Contains("needs 5 elements"));
        // An empty tensor needs no storage, wherever it points (as in PyTorch).
        const auto empty = state_dict([](B& b) { b.unicode("w").tensor("FloatStorage", "0", 4, 100, {0, 5}, {5, 1}); });
        CHECK(error_of_bytes(test::make_checkpoint_zip(empty, {{"0", four_floats}})).empty());
    }
    SECTION("a storage larger than its record") {
        const auto pickle = state_dict([](B& b) { b.unicode("w").tensor("FloatStorage", "0", 1ull << 61, 0, {1}, {1}); });
        CHECK_THAT(error_of_bytes(test::make_checkpoint_zip(pickle, {{"0", four_floats}})),
                   Catch::Contains("archive/data/0 holds 16 bytes"));
    }
    SECTION("a missing data/<key> record") {
        const auto pickle = state_dict([](B& b) { b.unicode("layer.weight").tensor("FloatStorage", "7", 4, 0, {4}, {1}); });
        CHECK_THAT(error_of_bytes(test::make_checkpoint_zip(pickle, {{"0", four_floats}})),
                   Catch::Contains("tensor 'layer.weight'") && Catch::Contains("storage '7'") &&
                       Catch::Contains("archive/data/7"));
    }
    SECTION("a pickle nested 100,000 levels deep") {
        B b;
        b.proto();
        for (int i = 0; i < 100'000; ++i) b.op(']');
        for (int i = 1; i < 100'000; ++i) b.op('a');
        CHECK_THAT(error_of_bytes(test::make_checkpoint_zip(b.stop().bytes, {})), Catch::Contains("nested more than 1000"));
        B marks;
        marks.proto();
        for (int i = 0; i < 100'000; ++i) marks.mark();
        CHECK_THAT(error_of_bytes(test::make_checkpoint_zip(marks.stop().bytes, {})), Catch::Contains("nested more than 1000"));
    }
    SECTION("persistent ids of the wrong shape") {
        B b;
        b.proto().global("torch._utils", "_rebuild_tensor_v2").mark();
        b.mark().unicode("storage").global("torch", "FloatStorage").unicode("0").op('t').op('Q');
        CHECK_THAT(error_of_bytes(test::make_checkpoint_zip(b.stop().bytes, {})), Catch::Contains("tuple of 5 items"));
        B not_storage;
        not_storage.proto().mark().unicode("module").global("torch", "FloatStorage").unicode("0").unicode("cpu");
        not_storage.op('K').op(1).op('t').op('Q').stop();
        CHECK_THAT(error_of_bytes(test::make_checkpoint_zip(not_storage.bytes, {})), Catch::Contains("not a storage"));
        B not_a_tuple;  // a string as long as the tuple should be: its bytes are no items
        not_a_tuple.proto().unicode("abcde").op('Q').stop();
        CHECK_THAT(error_of_bytes(test::make_checkpoint_zip(not_a_tuple.bytes, {})), Catch::Contains("tuple of 5 items"));
        B not_a_class;
        not_a_class.proto().mark().unicode("storage").global("torch", "float32").unicode("0").unicode("cpu");
        not_a_class.op('K').op(1).op('t').op('Q').stop();
        CHECK_THAT(error_of_bytes(test::make_checkpoint_zip(not_a_class.bytes, {})), Catch::Contains("not a storage class"));
    }
    SECTION("duplicate keys, a root that is no dict, a value that is no tensor") {
        const auto twice = state_dict([](B& b) {
            b.unicode("w").tensor("FloatStorage", "0", 4, 0, {4}, {1});
            b.unicode("w").tensor("FloatStorage", "0", 4, 0, {4}, {1});
        });
        CHECK_THAT(error_of_bytes(test::make_checkpoint_zip(twice, {{"0", four_floats}})), Catch::Contains("'w' twice"));
        CHECK_THAT(error_of_bytes(test::make_checkpoint_zip(B().proto().op(']').stop().bytes, {})),
                   Catch::Contains("holds list (0 items), not a dict"));
        const auto mixed = state_dict([](B& b) {
            b.unicode("w").tensor("FloatStorage", "0", 4, 0, {4}, {1});
            b.unicode("step").op('K').op(3);
        });
        const checkpoint c = typenet::read_pth(test::shared(test::make_checkpoint_zip(mixed, {{"0", four_floats}})), "m.pth");
        CHECK_FALSE(c.is_state_dict);
        REQUIRE(c.top_level.size() == 2);
        CHECK(c.top_level[0].description == "tensor float32 [4]");
        CHECK(c.top_level[1].description == "int 3");
    }
    SECTION("archives that are not torch.save checkpoints") {
        CHECK_THAT(error_of_bytes(test::make_zip({})), Catch::Contains("empty zip archive"));
        CHECK_THAT(error_of_bytes(test::make_zip({{"data.pkl", four_floats}})), Catch::Contains("not in a folder"));
        CHECK_THAT(error_of_bytes(test::make_zip({{"a/data.pkl", four_floats}})), Catch::Contains("no 'a/version' entry"));
        CHECK_THAT(error_of_bytes(test::make_zip({{"a/version", test::bytes_of("3")}})), Catch::Contains("no 'a/data.pkl' entry"));
        CHECK_THAT(error_of_bytes(test::make_zip({{"a/version", test::bytes_of("99\n")}})), Catch::Contains("versions 1 to 10"));
        CHECK_THAT(error_of_bytes(test::make_zip({{"a/version", test::bytes_of("three")}})), Catch::Contains("versions 1 to 10"));
        CHECK_THAT(error_of_bytes({}), Catch::Contains("empty"));
        CHECK_THAT(error_of_bytes(test::bytes_of("hello world")),
                   Catch::Contains("not a PyTorch checkpoint: it starts with the bytes 0x68 0x65 0x6c 0x6c 0x6f"));
        CHECK_THAT(error_of_bytes(test::bytes_of(std::string("\x10\0\0\0\0\0\0\0{\"a\":1}      ", 22))),
                   Catch::Contains("read_safetensors"));
        CHECK_THAT(error_of_bytes(B().proto().op('N').stop().bytes), Catch::Contains("PyTorch's magic number"));
        CHECK_THAT(error_of("does_not_exist.pth"), Catch::Contains("cannot open") && Catch::Contains("does_not_exist.pth"));
    }
}

TEST_CASE("read_pth: legacy storage views (persistent ids with view metadata, PyTorch before 0.4)", "[pth]") {
    // Written by hand: PyTorch stopped writing storage views long before the 1.13 used here. The
    // layout follows torch/serialization.py's _legacy_save: the view's persistent id names the root
    // storage '10' (6 floats) and the view ('11', offset 2, size 3) = elements 2, 3, 4.
    using B = test::pickle_builder;
    auto pid = [](B& b, bool view) {
        b.mark().unicode("storage").global("torch", "FloatStorage").unicode("10").unicode("cuda:1").integer(6);
        if (view) b.mark().unicode("11").integer(2).integer(3).op('t');
        else b.op('N');
        b.op('t').op('Q');
    };
    auto legacy_file = [&](bool with_root) {
        B file;
        file.proto().op(0x8a).op(10).raw("\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19").stop();  // the magic number
        file.proto().integer(1001).stop();
        file.proto().op('}').unicode("little_endian").op(0x88).op('s').stop();
        file.proto().ordered_dict().mark();
        file.unicode("view").global("torch._utils", "_rebuild_tensor_v2").mark();
        pid(file, true);
        file.integer(1).int_tuple({2}).int_tuple({1}).op(0x89).ordered_dict().op('t').op('R');
        if (with_root) {
            file.unicode("root").global("torch._utils", "_rebuild_tensor_v2").mark();
            pid(file, false);
            file.integer(0).int_tuple({2, 3}).int_tuple({3, 1}).op(0x89).ordered_dict().op('t').op('R');
        }
        file.op('u').stop();
        file.proto().op(']').mark().unicode("10").op('e').stop();
        file.little_endian(6, 8);
        for (float v : {0.f, 1.f, 2.f, 3.f, 4.f, 5.f}) file.little_endian(std::bit_cast<std::uint32_t>(v), 4);
        return file;
    };
    const B file = legacy_file(true);
    // Only the view refers to the root storage: its size comes from the view's persistent id.
    const checkpoint only_view = typenet::read_pth(test::shared(legacy_file(false).bytes), "view.pth");
    REQUIRE(only_view.tensors.size() == 1);
    CHECK(only_view.tensors[0].storage.size() == 12);

    const checkpoint c = typenet::read_pth(test::shared(file.bytes), "views.pth");
    CHECK(c.format == checkpoint_format::pth_legacy);
    REQUIRE(c.tensors.size() == 2);
    // "view" is elements [1, 3) of the view, which starts at element 2 of the root: 3 and 4.
    CHECK(test::gather(c.tensors[0]) == test::pickle_builder().little_endian(std::bit_cast<std::uint32_t>(3.f), 4)
                                            .little_endian(std::bit_cast<std::uint32_t>(4.f), 4).bytes);
    CHECK(c.tensors[0].storage.size() == 12);
    CHECK(c.tensors[1].storage.size() == 24);
    CHECK(c.tensors[0].storage.data() == c.tensors[1].storage.data() + 8);

    // A view past the end of its root storage.
    auto past_end = file.bytes;
    const std::vector<std::byte> view_key = test::bytes_of("11");
    const std::size_t at =
        std::size_t(std::search(past_end.begin(), past_end.end(), view_key.begin(), view_key.end()) - past_end.begin());
    REQUIRE(past_end[at + 2] == std::byte{'K'});  // BININT1 2, the view's offset
    past_end[at + 3] = std::byte{5};
    CHECK_THAT(error_of_bytes(past_end), Catch::Contains("from element 5"));
}

TEST_CASE("read_pth: damaged legacy structures", "[pth][damage]") {
    const auto good = test::read_bytes(path_of("small_legacy.pth"));
    // The magic number's LONG1 starts at byte 2 (after PROTO 2); its first digit is at byte 4.
    auto bad_magic = good;
    bad_magic[4] ^= std::byte{1};
    CHECK_THAT(error_of_bytes(bad_magic), Catch::Contains("magic number"));
    // The protocol version, BININT2 1001 at bytes 17-19.
    auto bad_protocol = good;
    REQUIRE(bad_protocol[17] == std::byte{'M'});
    bad_protocol[18] = std::byte{0xEA};  // 1002
    CHECK_THAT(error_of_bytes(bad_protocol), Catch::Contains("protocol 1002"));
    // The first storage's element count follows the five pickles (magic, protocol, sys_info, the
    // object, the keys), found here by parsing them.
    std::size_t pos = 0;
    typenet::detail::unpickle_options options;
    options.persistent_load = [](const auto&, auto, std::size_t) { return std::int64_t(0); };
    for (int i = 0; i < 5; ++i) pos += typenet::detail::unpickle(std::span(good).subspan(pos), options).end;
    const std::uint64_t count = typenet::detail::load_little_endian(good.data() + pos, 8);
    REQUIRE((count == 1 || count == 2 || count == 6));  // the sizes of small's storages
    auto bad_count = good;
    bad_count[pos] = std::byte(count + 1);
    CHECK_THAT(error_of_bytes(bad_count), Catch::Contains("says it holds " + std::to_string(count + 1) + " elements"));
    auto huge_count = good;
    huge_count[pos + 7] = std::byte{0x7F};
    CHECK_THAT(error_of_bytes(huge_count), Catch::Contains("corrupted or truncated"));
}

TEST_CASE("read_pth: a legacy file whose sys_info says big-endian holds little-endian data, as torch.load reads it",
          "[pth][legacy]") {
    // torch.load ignores sys_info and PyTorch's legacy writer always writes sizes and data
    // little-endian (torch/serialization.py, _legacy_load and _legacy_save).
    const checkpoint c = typenet::read_pth(path_of("small_big_endian_legacy.pth"));
    CHECK_FALSE(c.big_endian);
    check_against_manifest(c, "small_big_endian_legacy");
}

TEST_CASE("read_pth: complex storages in a legacy file are skipped with their true size", "[pth][legacy]") {
    // make_pth_files.py saved it until a complex storage came before one of the state_dict's.
    typenet::read_options options;
    options.state_dict_key = "model";
    check_against_manifest(typenet::read_pth(path_of("complex_legacy.pth"), options), "complex_legacy");
    const checkpoint whole = typenet::read_pth(path_of("complex_legacy.pth"));
    CHECK_FALSE(whole.is_state_dict);
    REQUIRE(whole.top_level.size() == 2);
    CHECK(whole.top_level[1].description == "list (8 items)");
    options.state_dict_key = "extra";
    CHECK_THAT(error_of("complex_legacy.pth", options), Catch::Contains("'extra' holds list (8 items), not a state_dict"));
}

TEST_CASE("read_pth: pickle protocols 3 to 5 (torch.save's pickle_protocol), zip and legacy", "[pth]") {
    for (const std::string name : {"small_protocol3", "small_protocol3_legacy", "small_protocol4", "small_protocol4_legacy",
                                   "small_protocol5", "small_protocol5_legacy"}) {
        CAPTURE(name);
        check_against_manifest(typenet::read_pth(path_of(name + ".pth")), name);
    }
    typenet::read_options options;
    options.state_dict_key = "model";
    for (const std::string name : {"checkpoint_protocol3_legacy", "checkpoint_protocol4_legacy", "checkpoint_protocol5_legacy"}) {
        CAPTURE(name);
        check_against_manifest(typenet::read_pth(path_of(name + ".pth"), options), name);
        const checkpoint c = typenet::read_pth(path_of(name + ".pth"));
        REQUIRE(c.top_level.size() == 2);
        CHECK(c.top_level[1].description == "bytes (9 bytes)");  // b"raw bytes"
    }
}
