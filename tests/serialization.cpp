// load_state_dict from checkpoints built here by hand (tests/interop/ checks real PyTorch files).
#include <catch2/catch.hpp>

#include <algorithm>
#include <bit>
#include <stdexcept>
#include <cstring>
#include <memory>

#include <typenet/serialization.hpp>
#include <typenet/typenet.hpp>

using namespace typenet;

namespace {

// Options set one by one: GCC 12 warns (-Wmissing-field-initializers) on designated initializers
// that leave members to their defaults.
load_options options(bool strict, bool convert = true, std::string prefix = {}, std::string module = {}) {
    load_options o;
    o.strict = strict;
    o.convert_dtypes = convert;
    o.checkpoint_prefix = std::move(prefix);
    o.module = std::move(module);
    return o;
}

using Net = Sequential<Linear<3, 2>, BatchNorm1d<2>>;
using M = Model<Net, Input<3>>;

// A checkpoint whose storages live in one buffer, added tensor by tensor.
struct builder {
    checkpoint c;
    std::shared_ptr<std::vector<std::byte>> bytes = std::make_shared<std::vector<std::byte>>();
    struct pending {
        checkpoint_tensor t;
        std::size_t begin, size;
    };
    std::vector<pending> tensors;

    template <class T>
    builder& add(std::string key, std::vector<std::size_t> shape, std::vector<T> values, dtype type = dtype_of<T>) {
        checkpoint_tensor t;
        t.key = std::move(key);
        t.dtype = type;
        t.shape = shape;
        t.strides.assign(shape.size(), 1);
        for (std::size_t d = shape.size(); d-- > 1;) t.strides[d - 1] = t.strides[d] * shape[d];
        t.storage_name = "test";
        const std::size_t begin = bytes->size();
        bytes->resize(begin + values.size() * sizeof(T));
        std::memcpy(bytes->data() + begin, values.data(), values.size() * sizeof(T));
        tensors.push_back({t, begin, values.size() * sizeof(T)});
        return *this;
    }
    builder& remove(std::string_view key) {
        std::erase_if(tensors, [&](const pending& p) { return p.t.key == key; });
        return *this;
    }
    pending& operator[](std::string_view key) {
        for (pending& p : tensors)
            if (p.t.key == key) return p;
        throw std::logic_error("no such tensor");
    }
    checkpoint build() {
        c.source = "test.pth";
        for (pending& p : tensors) {
            p.t.storage = std::span<const std::byte>(bytes->data() + p.begin, p.size);
            c.tensors.push_back(p.t);
        }
        c.bytes = shared_bytes(std::shared_ptr<const std::vector<std::byte>>(bytes));
        return c;
    }
};

builder complete() {
    builder b;
    b.add<float>("0.weight", {2, 3}, {1, 2, 3, 4, 5, 6})
        .add<float>("0.bias", {2}, {0.5f, -0.5f})
        .add<float>("1.weight", {2}, {2, 3})
        .add<float>("1.bias", {2}, {0, 1})
        .add<float>("1.running_mean", {2}, {0.25f, 0.75f})
        .add<float>("1.running_var", {2}, {4, 9})
        .add<std::int64_t>("1.num_batches_tracked", {}, {12});
    return b;
}

}  // namespace

TEST_CASE("a complete state_dict loads, int64 buffers included") {
    auto model = std::make_unique<M>();
    const checkpoint c = complete().build();
    const load_result r = load_state_dict(*model, c);
    CHECK(r.missing_keys.empty());
    CHECK(r.unexpected_keys.empty());
    CHECK(model->at<"0.weight">()[5] == 6);
    CHECK(model->at<"1.running_var">()[1] == 9);
    CHECK(model->at<"1.num_batches_tracked">()[0] == 12);
}

TEST_CASE("strict loading reports every problem at once, in PyTorch's words, and changes nothing") {
    auto model = std::make_unique<M>();
    model->at<"0.bias">()[0] = 42;
    builder b;
    b.add<float>("0.weight", {2, 5}, std::vector<float>(10, 1.0f))
        .add<float>("0.bias", {2}, {7, 7})
        .add<float>("extra.weight", {1}, {1});
    const checkpoint c = b.build();
    try {
        load_state_dict(*model, c);
        FAIL("load_state_dict accepted a checkpoint that does not fit");
    } catch (const state_dict_error& e) {
        const std::string text = e.what();
        CHECK_THAT(text, Catch::StartsWith("Error(s) in loading state_dict from test.pth:"));
        CHECK_THAT(text, Catch::Contains("Missing key(s) in state_dict: \"1.weight\", \"1.bias\", \"1.running_mean\", "
                                         "\"1.running_var\", \"1.num_batches_tracked\". "));
        CHECK_THAT(text, Catch::Contains("Unexpected key(s) in state_dict: \"extra.weight\". "));
        CHECK_THAT(text, Catch::Contains("size mismatch for 0.weight: copying a param with shape [2, 5] from "
                                         "checkpoint, the shape in current model is [2, 3]."));
    }
    CHECK(model->at<"0.bias">()[0] == 42);
}

TEST_CASE("non-strict loading returns what it could not match") {
    auto model = std::make_unique<M>();
    builder b;
    b.add<float>("0.bias", {2}, {7, 8}).add<float>("head.weight", {1}, {1});
    const checkpoint c = b.build();
    const load_result r = load_state_dict(*model, c, options(false));
    CHECK(r.unexpected_keys == std::vector<std::string>{"head.weight"});
    CHECK(r.missing_keys.size() == 6);
    CHECK(model->at<"0.bias">()[1] == 8);
    // Shape mismatches are errors even then, as in PyTorch.
    builder wrong;
    wrong.add<float>("0.bias", {3}, {1, 2, 3});
    CHECK_THROWS_WITH(load_state_dict(*model, wrong.build(), options(false)), Catch::Contains("size mismatch for 0.bias"));
}

TEST_CASE("other dtypes convert to the model's, unless conversion is refused") {
    auto model = std::make_unique<M>();
    builder b = complete();
    b.remove("0.weight").add<double>("0.weight", {2, 3}, {0.1, 0.2, 0.3, 0.4, 0.5, 1e300});
    const checkpoint c = b.build();
    load_state_dict(*model, c);
    CHECK(model->at<"0.weight">()[0] == 0.1f);                  // rounded to nearest, as torch's copy_
    CHECK(model->at<"0.weight">()[5] == INFINITY);              // too large for float32, like torch
    CHECK_THROWS_WITH(load_state_dict(*model, c, options(true, false)),
                      Catch::Contains("dtype mismatch for 0.weight: the checkpoint has float64, the model float32"));

    // float16 and bfloat16 bit patterns: 0x3C00 = 1.0, 0xC000 = -2.0, 0x3555 = 0.333251953125 (float16);
    // bfloat16 0x3FC0 = 1.5, 0xC020 = -2.5 (the top 16 bits of the float32).
    builder h = complete();
    h.remove("1.weight").remove("1.bias").add<std::uint16_t>("1.weight", {2}, {0x3C00, 0x3555}, dtype::float16);
    h.add<std::uint16_t>("1.bias", {2}, {0x3FC0, 0xC020}, dtype::bfloat16);
    load_state_dict(*model, h.build());
    CHECK(model->at<"1.weight">()[0] == 1.0f);
    CHECK(model->at<"1.weight">()[1] == 0.333251953125f);
    CHECK(model->at<"1.bias">()[0] == 1.5f);
    CHECK(model->at<"1.bias">()[1] == -2.5f);
}

TEST_CASE("num_batches_tracked stays int64; floats that are not integers are refused for it") {
    auto model = std::make_unique<M>();
    builder b = complete();
    b.remove("1.num_batches_tracked").add<float>("1.num_batches_tracked", {}, {2.5f});
    CHECK_THROWS_WITH(load_state_dict(*model, b.build()), Catch::Contains("values are not all integers"));
    builder ok = complete();
    ok.remove("1.num_batches_tracked").add<double>("1.num_batches_tracked", {}, {3.0});
    load_state_dict(*model, ok.build());
    CHECK(model->at<"1.num_batches_tracked">()[0] == 3);
}

TEST_CASE("views: transposed strides, storage offsets and shared storages") {
    auto model = std::make_unique<M>();
    builder b = complete();
    // 0.weight as the transpose of a 3x2 storage [[1, 4], [2, 5], [3, 6]]: strides (1, 2).
    b["0.weight"].t.strides = {1, 2};
    const std::vector<float> transposed = {1, 4, 2, 5, 3, 6};
    std::memcpy(b.bytes->data() + b["0.weight"].begin, transposed.data(), 24);
    // 1.bias and 1.running_mean view one storage [9, 0, 1] at offsets 1 and 0.
    b.remove("1.bias").remove("1.running_mean").add<float>("1.running_mean", {2}, {9, 0, 1});
    b["1.running_mean"].t.shape = {2};
    auto shared = b["1.running_mean"];
    shared.t.key = "1.bias";
    shared.t.storage_offset = 1;
    b.tensors.push_back(shared);
    load_state_dict(*model, b.build());
    const auto w = model->at<"0.weight">();
    CHECK((w[0] == 1 && w[1] == 2 && w[2] == 3 && w[3] == 4 && w[4] == 5 && w[5] == 6));
    CHECK((model->at<"1.bias">()[0] == 0 && model->at<"1.bias">()[1] == 1));
    CHECK((model->at<"1.running_mean">()[0] == 9 && model->at<"1.running_mean">()[1] == 0));
}

TEST_CASE("a view that reaches past its storage is refused") {
    auto model = std::make_unique<M>();
    builder b = complete();
    b["0.bias"].t.storage_offset = 1;  // 0.bias: 2 elements from offset 1 in a storage of 2
    CHECK_THROWS_WITH(load_state_dict(*model, b.build()), Catch::Contains("storage too small for 0.bias"));
}

TEST_CASE("big-endian storages are byte-swapped") {
    auto model = std::make_unique<M>();
    builder b = complete();
    std::vector<float> values = {1.5f, -2.0f};
    for (float& v : values) v = std::bit_cast<float>(__builtin_bswap32(std::bit_cast<std::uint32_t>(v)));
    b.remove("0.bias").add<float>("0.bias", {2}, values);
    checkpoint c = b.build();
    c.big_endian = true;
    for (checkpoint_tensor& t : c.tensors)  // the rest are little-endian in memory: swap them too
        if (t.key != "0.bias") {
            auto* p = const_cast<std::byte*>(t.storage.data());
            for (std::size_t i = 0; i + size_of(t.dtype) <= t.storage.size(); i += size_of(t.dtype))
                std::reverse(p + i, p + i + size_of(t.dtype));
        }
    load_state_dict(*model, c);
    CHECK(model->at<"0.bias">()[0] == 1.5f);
    CHECK(model->at<"0.weight">()[2] == 3.0f);
    CHECK(model->at<"1.num_batches_tracked">()[0] == 12);
}

TEST_CASE("prefixes: a DataParallel checkpoint, one sub-module of a bigger checkpoint, one sub-module of the model") {
    auto model = std::make_unique<M>();
    builder dp = complete();
    for (auto& p : dp.tensors) p.t.key = "module." + p.t.key;
    load_state_dict(*model, dp.build(), options(true, true, "module."));
    CHECK(model->at<"1.running_mean">()[1] == 0.75f);

    // Only the "1." entries of the checkpoint, into the model's sub-module "1".
    auto fresh = std::make_unique<M>();
    const load_result r = load_state_dict(*fresh, complete().build(), options(true, true, "1.", "1"));
    CHECK(r.missing_keys.empty());
    CHECK(fresh->at<"1.weight">()[0] == 2);
    CHECK(fresh->at<"0.weight">()[0] == 0);  // untouched
    CHECK_THROWS_WITH(load_state_dict(*fresh, complete().build(), options(true, true, "", "2")), Catch::Contains("no module \"2\""));
}

TEST_CASE("a checkpoint dict read without its key says which key to name") {
    auto model = std::make_unique<M>();
    checkpoint c;
    c.source = "ckpt.pth";
    c.is_state_dict = false;
    c.top_level = {{"epoch", "int 5"}, {"model_state_dict", "dict of 7 tensors"}};
    CHECK_THROWS_WITH(load_state_dict(*model, c),
                      Catch::Contains("'epoch' (int 5), 'model_state_dict' (dict of 7 tensors)") &&
                          Catch::EndsWith("options.state_dict_key = \"model_state_dict\""));
}

TEST_CASE("a DataParallel checkpoint loaded without its prefix says which prefix to give") {
    auto model = std::make_unique<M>();
    builder dp = complete();
    for (auto& p : dp.tensors) p.t.key = "module." + p.t.key;
    CHECK_THROWS_WITH(load_state_dict(*model, dp.build()),
                      Catch::Contains("Unexpected key(s) in state_dict: \"module.0.weight\"") &&
                          Catch::EndsWith("Every unexpected key starts with \"module.\", as in a checkpoint saved from "
                                          "DataParallel or DistributedDataParallel: load it with "
                                          "options.checkpoint_prefix = \"module.\"."));
    // Under a prefix already given, the suggestion extends it.
    builder nested = complete();
    for (auto& p : nested.tensors) p.t.key = "ema.module." + p.t.key;
    CHECK_THROWS_WITH(load_state_dict(*model, nested.build(), options(true, true, "ema.")),
                      Catch::EndsWith("options.checkpoint_prefix = \"ema.module.\"."));
    // One unexpected key without "module.": no such hint.
    builder mixed = complete();
    for (auto& p : mixed.tensors) p.t.key = "module." + p.t.key;
    mixed.add<float>("head.weight", {1}, {1});
    CHECK_THROWS_WITH(load_state_dict(*model, mixed.build()), !Catch::Contains("checkpoint_prefix"));
}
