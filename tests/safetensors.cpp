// Tests of safetensors.hpp: the exact bytes written, round trips through files, what the format
// allows, hostile files (each refused with a message saying what and where), files written from
// PyTorch tensors by an independent writer ("[python]", tests/interop/safetensors_make.py), and
// files for the independent Python checker ("[typenet_writes]", tests/interop/safetensors_check.py).
#include <catch2/catch.hpp>

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

#include <typenet/safetensors.hpp>
#include <typenet/serialization.hpp>
#include <typenet/typenet.hpp>

#include "support.hpp"

using namespace typenet;
using Catch::Matchers::Contains;

namespace {

using byte_buffer = std::shared_ptr<const std::vector<std::byte>>;

byte_buffer buffer(std::string_view text) {
    auto bytes = std::make_shared<std::vector<std::byte>>(text.size());
    if (!text.empty()) std::memcpy(bytes->data(), text.data(), text.size());
    return bytes;
}

std::string le64(std::uint64_t n) {
    std::string out(8, '\0');
    for (int i = 0; i < 8; ++i) out[std::size_t(i)] = char((n >> (8 * i)) & 0xFF);
    return out;
}

// A file around a hand-written header: the length prefix computed, `data` appended.
std::string file_with(std::string_view header, std::string_view data = {}) {
    return le64(header.size()) + std::string(header) + std::string(data);
}

// The message of the format_error that reading `file` throws; fails the test if it reads.
std::string refusal(const std::string& file) {
    try {
        read_safetensors(buffer(file), "hostile.safetensors");
    } catch (const format_error& e) {
        return e.what();
    }
    FAIL("read_safetensors accepted a file it must refuse");
    return {};
}

// "at byte N:", N the file offset of the n-th occurrence of `needle` in the header (which starts at 8).
std::string at_byte(std::string_view header, std::string_view needle, int occurrence = 1) {
    std::size_t at = std::string_view::npos;
    for (int i = 0; i < occurrence; ++i) at = header.find(needle, at == std::string_view::npos ? 0 : at + 1);
    REQUIRE(at != std::string_view::npos);
    return "at byte " + std::to_string(8 + at) + ":";
}

// A header written with '@' where an error is expected: the header without it, and "at byte N:".
std::pair<std::string, std::string> marked(std::string_view with_marker) {
    const std::size_t at = with_marker.find('@');
    REQUIRE(at != std::string_view::npos);
    std::string header(with_marker);
    header.erase(at, 1);
    return {header, "at byte " + std::to_string(8 + at) + ":"};
}

template <class T>
std::span<const std::byte> bytes_of(const std::vector<T>& v) {
    return std::as_bytes(std::span(v));
}

safetensors_tensor tensor(std::string name, dtype type, std::vector<std::size_t> shape, std::span<const std::byte> bytes) {
    safetensors_tensor t;
    t.name = std::move(name);
    t.dtype = type;
    t.shape = std::move(shape);
    t.bytes = bytes;
    return t;
}

// Float to IEEE half / bfloat16 bits, for values these formats hold exactly (checked).
std::uint16_t exact_half(float f) {
    const auto bits = std::bit_cast<std::uint32_t>(f);
    if ((bits & 0x7FFFFFFFu) == 0) return std::uint16_t(bits >> 16);
    const int exponent = int((bits >> 23) & 0xFF) - 127 + 15;
    REQUIRE((exponent > 0 && exponent < 31 && (bits & 0x1FFFu) == 0));
    const auto h = std::uint16_t(((bits >> 16) & 0x8000u) | (unsigned(exponent) << 10) | ((bits >> 13) & 0x3FFu));
    REQUIRE(detail::half_to_float(h) == f);
    return h;
}
std::uint16_t exact_bfloat16(float f) {
    const auto bits = std::bit_cast<std::uint32_t>(f);
    REQUIRE((bits & 0xFFFFu) == 0);
    return std::uint16_t(bits >> 16);
}

// The interop model: nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.Flatten(), nn.Linear(144, 3)).
using InteropNet = Sequential<Conv2d<1, 4, 3>, BatchNorm2d<4>, Flatten, Linear<4 * 6 * 6, 3>>;
template <class T>
using InteropModel = Model<InteropNet, Input<1, 8, 8>, T, 2>;

// Values that float holds exactly, by formulas tests/interop/safetensors_check.py repeats:
// entry k, element i: ((7 i + 3 k) % 23 - 11) / 16; running_var 0.5 + ((5 i + k) % 7) / 8 (positive,
// as a variance must be); num_batches_tracked 7.
template <class M>
void fill_with_formula(M& model) {
    using T = typename M::scalar_type;
    for (std::size_t k = 0; k < M::state_dict.size(); ++k) {
        const state_entry& e = M::state_dict[k];
        const std::span<std::byte> bytes = model.bytes(e);
        for (std::size_t i = 0; i < e.numel; ++i) {
            if (e.dtype == dtype::int64) {
                const std::int64_t seven = 7;
                std::memcpy(bytes.data() + 8 * i, &seven, 8);
                continue;
            }
            const T value = e.key.ends_with("running_var") ? T(0.5 + double((5 * i + k) % 7) / 8)
                                                           : T((double((7 * i + 3 * k) % 23) - 11) / 16);
            std::memcpy(bytes.data() + sizeof(T) * i, &value, sizeof(T));
        }
    }
}

std::string interop_dir() { return TYPENET_SAFETENSORS_INTEROP_DIR; }

// A name in the temporary directory that no concurrent run of these tests (another build) uses.
std::filesystem::path scratch_path(std::string_view name) {
    return std::filesystem::temp_directory_path() /
           typenet::detail::concat({"typenet_safetensors_", std::to_string(::getpid()), "_", name});
}

// A small valid file: two tensors (32 data bytes at the end) and metadata.
std::string small_valid_file() {
    static const std::vector<float> weights = {1.0f, -2.0f, 0.5f, 4.0f, -8.0f, 16.0f};
    static const std::vector<std::int64_t> count = {3};
    const safetensors_tensor tensors[] = {tensor("w", dtype::float32, {2, 3}, bytes_of(weights)),
                                          tensor("n", dtype::int64, {}, bytes_of(count))};
    const std::vector<std::byte> file = encode_safetensors(tensors);
    return std::string(reinterpret_cast<const char*>(file.data()), file.size());
}

}  // namespace

TEST_CASE("encode_safetensors writes the layout the format describes, byte for byte") {
    const std::vector<float> values = {1.0f, -2.0f};
    const safetensors_tensor tensors[] = {tensor("a", dtype::float32, {2}, bytes_of(values))};
    const std::vector<std::byte> file = encode_safetensors(tensors);

    // The JSON as the format's description lays it out; 85 bytes, padded with 3 spaces to 88.
    const std::string json = R"({"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
    REQUIRE(json.size() == 85);
    std::string expected = le64(88) + json + "   ";
    expected.append(reinterpret_cast<const char*>(values.data()), 8);  // little-endian host: the bytes as stored
    REQUIRE(file.size() == expected.size());
    CHECK(std::memcmp(file.data(), expected.data(), expected.size()) == 0);
}

TEST_CASE("a model's state_dict goes to a file and back unchanged, in state_dict order") {
    const std::filesystem::path path = scratch_path("model.safetensors");
    auto model = std::make_unique<InteropModel<float>>();
    fill_with_formula(*model);
    save_safetensors(*model, path);

    const checkpoint c = read_safetensors(path);
    using M = InteropModel<float>;
    CHECK(c.format == checkpoint_format::safetensors);
    CHECK(c.source == path.string());
    CHECK(c.is_state_dict);
    CHECK_FALSE(c.big_endian);
    CHECK(c.metadata == std::vector<std::pair<std::string, std::string>>{
                            {"format", "pt"}, {"typenet.fingerprint", detail::fingerprint_text(InteropModel<float>::fingerprint)}});
    const std::uint64_t header_size = detail::load_le64(c.bytes.data.data());
    CHECK((8 + header_size) % 8 == 0);
    REQUIRE(c.tensors.size() == M::state_dict.size());
    REQUIRE(c.top_level.size() == M::state_dict.size());
    for (std::size_t k = 0; k < M::state_dict.size(); ++k) {
        const state_entry& e = M::state_dict[k];
        const checkpoint_tensor& t = c.tensors[k];
        INFO(e.key);
        CHECK(t.key == e.key);
        CHECK(c.top_level[k].key == e.key);
        CHECK(t.dtype == e.dtype);
        CHECK(std::vector<std::size_t>(e.shape.begin(), e.shape.end()) == t.shape);
        REQUIRE(t.strides.size() == t.shape.size());
        std::size_t stride = 1;
        for (std::size_t d = t.shape.size(); d-- > 0;) {
            CHECK(t.strides[d] == stride);
            stride *= t.shape[d];
        }
        CHECK(t.storage_offset == 0);
        REQUIRE(t.storage.size() == e.nbytes);
        CHECK(std::memcmp(t.storage.data(), model->bytes(e).data(), e.nbytes) == 0);
        // No copy: the storage lies inside the file's bytes that the checkpoint holds.
        CHECK(t.storage.data() >= c.bytes.data.data());
        CHECK(t.storage.data() + t.storage.size() <= c.bytes.data.data() + c.bytes.data.size());
    }
    const checkpoint_tensor* tracked = c.find("1.num_batches_tracked");
    REQUIRE(tracked);
    CHECK(tracked->dtype == dtype::int64);
    CHECK(tracked->shape.empty());  // 0-dim, written as shape []
    CHECK(c.top_level[0].description == "tensor float32 [4, 1, 3, 3]");

    auto loaded = std::make_unique<M>();
    load_state_dict(*loaded, c);
    CHECK(std::memcmp(loaded->state().data(), model->state().data(), M::state_bytes) == 0);

    auto model64 = std::make_unique<InteropModel<double>>();
    fill_with_formula(*model64);
    save_safetensors(*model64, path);
    const checkpoint c64 = read_safetensors(path);
    REQUIRE(c64.tensors.size() == M::state_dict.size());
    CHECK(c64.tensors[0].dtype == dtype::float64);
    CHECK(c64.find("1.num_batches_tracked")->dtype == dtype::int64);
    std::filesystem::remove(path);
}

TEST_CASE("the low-level writer takes tensors of every dtype, 0-dim and empty ones, and any UTF-8 name") {
    const std::vector<float> f32 = {1.5f, -2.25f};
    const std::vector<double> f64 = {1e300};
    const std::vector<std::uint16_t> f16 = {exact_half(-0.75f)}, bf16 = {exact_bfloat16(3.0f)};
    const std::vector<std::int64_t> i64 = {std::numeric_limits<std::int64_t>::min()};
    const std::vector<std::int32_t> i32 = {-5, 6};
    const std::vector<std::int16_t> i16 = {-300};
    const std::vector<std::int8_t> i8 = {-1};
    const std::vector<std::uint8_t> u8 = {255};
    const std::vector<std::uint8_t> boolean = {1, 0};
    const std::string odd = "quote \" backslash \\ newline \n control \x01 \xC3\xA9\xF0\x9F\x98\x80";
    const std::vector<safetensors_tensor> tensors = {
        tensor("f32", dtype::float32, {2}, bytes_of(f32)),   tensor("f64", dtype::float64, {}, bytes_of(f64)),
        tensor("f16", dtype::float16, {1}, bytes_of(f16)),   tensor("bf16", dtype::bfloat16, {1, 1}, bytes_of(bf16)),
        tensor("i64", dtype::int64, {1}, bytes_of(i64)),     tensor("i32", dtype::int32, {2, 1}, bytes_of(i32)),
        tensor("i16", dtype::int16, {1}, bytes_of(i16)),     tensor("i8", dtype::int8, {1}, bytes_of(i8)),
        tensor("u8", dtype::uint8, {1}, bytes_of(u8)),       tensor("bool", dtype::bool_, {2}, bytes_of(boolean)),
        tensor("empty", dtype::float32, {0, 3}, {}),         tensor(odd, dtype::float32, {2}, bytes_of(f32)),
    };
    const checkpoint c = read_safetensors(std::make_shared<const std::vector<std::byte>>(encode_safetensors(tensors)),
                                          "<memory>");
    REQUIRE(c.tensors.size() == tensors.size());
    for (std::size_t i = 0; i < tensors.size(); ++i) {
        INFO(tensors[i].name);
        CHECK(c.tensors[i].key == tensors[i].name);
        CHECK(c.tensors[i].dtype == tensors[i].dtype);
        CHECK(c.tensors[i].shape == tensors[i].shape);
        REQUIRE(c.tensors[i].storage.size() == tensors[i].bytes.size());
        CHECK(std::equal(c.tensors[i].storage.begin(), c.tensors[i].storage.end(), tensors[i].bytes.begin()));
    }
    CHECK(c.find("empty")->strides == std::vector<std::size_t>{3, 1});  // PyTorch's strides for [0, 3]

    SECTION("no metadata: no \"__metadata__\" key") {
        const std::vector<std::byte> file = encode_safetensors(std::span(tensors).first(1), {});
        const std::string text(reinterpret_cast<const char*>(file.data()), file.size());
        CHECK(text.find("__metadata__") == std::string::npos);
        CHECK(read_safetensors(std::make_shared<const std::vector<std::byte>>(file), "<memory>").metadata.empty());
    }
}

TEST_CASE("the writer refuses what a reader would refuse, naming the tensor") {
    const std::vector<float> two = {1, 2};
    const auto refused = [](std::vector<safetensors_tensor> tensors, safetensors_metadata metadata = {{"format", "pt"}}) {
        try {
            encode_safetensors(tensors, metadata);
        } catch (const format_error& e) {
            return std::string(e.what());
        }
        FAIL("encode_safetensors accepted what it must refuse");
        return std::string();
    };
    CHECK_THAT(refused({tensor("a", dtype::float32, {2}, bytes_of(two)), tensor("a", dtype::float32, {2}, bytes_of(two))}),
               Contains("two tensors are named \"a\""));
    CHECK_THAT(refused({tensor("__metadata__", dtype::float32, {2}, bytes_of(two))}), Contains("reserves"));
    CHECK_THAT(refused({tensor("bad \xC3\x28", dtype::float32, {2}, bytes_of(two))}),
               Contains("\"bad \\xC3(\"") && Contains("not valid UTF-8"));
    CHECK_THAT(refused({tensor("a", dtype::float32, {3}, bytes_of(two))}),
               Contains("tensor \"a\" has 8 bytes, but float32 [3] needs 12"));
    CHECK_THAT(refused({tensor("a", dtype::float32, {std::size_t(1) << 40, std::size_t(1) << 40}, {})}),
               Contains("does not fit in 64 bits"));
    CHECK_THAT(refused({}, {{"k", "v"}, {"k", "w"}}), Contains("metadata key \"k\" appears twice"));
    CHECK_THAT(refused({}, {{"k", "\xFF"}}), Contains("metadata value"));
}

TEST_CASE("writing a file is atomic: on failure the destination is left as it was") {
    const std::filesystem::path dir = scratch_path("atomic");
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    const std::filesystem::path path = dir / "w.safetensors";
    std::ofstream(path) << "old contents";
    const std::vector<float> two = {1, 2};
    const std::vector<safetensors_tensor> bad = {tensor("a", dtype::float32, {3}, bytes_of(two))};
    CHECK_THROWS_AS(save_safetensors(bad, path), format_error);
    std::ifstream in(path);
    std::stringstream contents;
    contents << in.rdbuf();
    CHECK(contents.str() == "old contents");
    CHECK(std::distance(std::filesystem::directory_iterator(dir), std::filesystem::directory_iterator()) == 1);

    const std::vector<safetensors_tensor> good = {tensor("a", dtype::float32, {2}, bytes_of(two))};
    CHECK_THROWS_WITH(save_safetensors(good, dir / "missing" / "w.safetensors"), Contains("cannot create a temporary file"));
    CHECK_THROWS_WITH(read_safetensors(dir / "missing.safetensors"),
                      Contains("cannot open") && Contains("missing.safetensors"));
    save_safetensors(good, path);
    CHECK(read_safetensors(path).tensors.at(0).key == "a");
    std::filesystem::remove_all(dir);
}

TEST_CASE("the reader accepts everything the format allows") {
    SECTION("an empty header: no tensors") {
        const checkpoint c = read_safetensors(buffer(file_with("{}")), "empty");
        CHECK(c.tensors.empty());
        CHECK(c.top_level.empty());
        CHECK(c.metadata.empty());
    }
    SECTION("whitespace after the object, unknown fields of every JSON kind, \\u escapes") {
        const std::string header =
            R"({"\u00e9\ud83d\ude00\n":{"note":{"a":[1,-2.5e-3,true,false,null,"x",{}],"b":{"c":[]}},"dtype":"I8",)"
            R"("shape":[ 2 ],"extra":0.5E+2,"data_offsets":[0,2]}} )" "\t\r\n";
        const checkpoint c = read_safetensors(buffer(file_with(header, "\x01\xFF")), "x");
        REQUIRE(c.tensors.size() == 1);
        CHECK(c.tensors[0].key == "\xC3\xA9\xF0\x9F\x98\x80\n");
        CHECK(c.tensors[0].dtype == dtype::int8);
        CHECK(c.tensors[0].shape == std::vector<std::size_t>{2});
        CHECK(std::to_integer<int>(c.tensors[0].storage[1]) == 0xFF);
    }
    SECTION("tensors listed out of data order come back in data order; empty tensors may share an offset") {
        const std::string header =
            R"({"b":{"dtype":"U8","shape":[2],"data_offsets":[1,3]},"__metadata__":{"k":"v","format":"pt"},)"
            R"("z":{"dtype":"F32","shape":[0],"data_offsets":[1,1]},"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},)"
            R"("y":{"dtype":"F64","shape":[3,0],"data_offsets":[1,1]},)"
            R"("end":{"dtype":"BOOL","shape":[0],"data_offsets":[3,3]}})";
        const checkpoint c = read_safetensors(buffer(file_with(header, "abc")), "x");
        std::vector<std::string> keys, top_level;
        for (const checkpoint_tensor& t : c.tensors) keys.push_back(t.key);
        for (const checkpoint_item& item : c.top_level) top_level.push_back(item.key);
        // Sorted by (begin, end); ties keep the header's order (z before y).
        CHECK(keys == std::vector<std::string>{"a", "z", "y", "b", "end"});
        CHECK(top_level == keys);
        CHECK(c.metadata == std::vector<std::pair<std::string, std::string>>{{"k", "v"}, {"format", "pt"}});
        CHECK(std::to_integer<char>(c.find("b")->storage[0]) == 'b');
    }
}

TEST_CASE("hostile files are refused with a message saying what is wrong and where") {
    const std::string f32_2 = R"("dtype":"F32","shape":[2],"data_offsets":[0,8])";
    const std::string eight(8, '\0');

    SECTION("too short for the header length") {
        CHECK_THAT(refusal(""),
                   Contains("hostile.safetensors") && Contains("0 bytes long") && Contains("8-byte header length"));
        CHECK_THAT(refusal("1234567"), Contains("7 bytes long"));
    }
    SECTION("header length over the limit, at it, or past the end of the file") {
        CHECK_THAT(refusal(le64(100'000'001) + "{}"), Contains("100000001") && Contains("limit"));
        CHECK_THAT(refusal(le64(UINT64_MAX) + "{}"), Contains("18446744073709551615") && Contains("limit"));
        // Exactly the limit is allowed; this file is merely too short for it.
        CHECK_THAT(refusal(le64(100'000'000) + "{}"), Contains("only 2 bytes follow") && Contains("truncated"));
        CHECK_THAT(refusal(le64(3) + "{}"), Contains("header length in the first 8 bytes is 3"));
    }
    SECTION("a header that is not a JSON object starting with '{'") {
        CHECK_THAT(refusal(le64(0)), Contains("must start with '{'") && Contains("empty"));
        CHECK_THAT(refusal(file_with(" {}")), Contains("at byte 8:") && Contains("must start with '{'"));
        CHECK_THAT(refusal(file_with("[]")), Contains("at byte 8:") && Contains("must start with '{'"));
        CHECK_THAT(refusal(file_with("{} x")),
                   Contains("at byte 11:") && Contains("unexpected 'x' after the end of the JSON value"));
        CHECK_THAT(refusal(file_with(std::string_view("{}\0", 3))), Contains("at byte 10:") && Contains("byte 0x00"));
    }
    SECTION("invalid UTF-8, wherever it is") {
        const std::string bad_sequences[] = {"\xC3\x28", "\xC0\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80",
                                             "\x80",     "\xFF",     "\xE2\x82"};
        for (const std::string& bad : bad_sequences) {
            const std::string header = "{\"a" + bad + "\":{" + f32_2 + "}}";
            INFO(header);
            CHECK_THAT(refusal(file_with(header, eight)), Contains("invalid UTF-8") && Contains("at byte 11:"));
        }
        const std::string in_metadata = "{\"__metadata__\":{\"k\":\"\xC3\"}}";
        CHECK_THAT(refusal(file_with(in_metadata)), Contains("invalid UTF-8") && Contains(at_byte(in_metadata, "\xC3")));
    }
    SECTION("invalid JSON") {
        struct { std::string header, message; } cases[] = {
            {R"({"a" @{)" + f32_2 + "}}", "expected ':' after the key \"a\", found '{'"},
            {R"({"a":{)" + f32_2 + "},@}", "expected a string key, found '}'"},
            {"{@'a':1}", "expected a string key, found '''"},
            {R"({"a":{)" + f32_2 + "}@", "expected ',' or '}' after a member, found the end of the text"},
            {R"({@"a)", "this string has no closing '\"'"},
            {R"({"a":{"dtype":"F32","shape":[2,@],"data_offsets":[0,8]}})", "expected a value, found ']'"},
            {R"({"a":{"dtype":"F32","shape":[2 @2],"data_offsets":[0,8]}})", "expected ',' or ']' after an element, found '2'"},
            {R"({"a":{"x":@NaN,)" + f32_2 + "}}", "expected a value, found 'N'"},
            {R"({"a":{"x":@tru,)" + f32_2 + "}}", "invalid literal: expected true"},
            {R"({"a":{"x":-@,)" + f32_2 + "}}", "expected a digit, found ','"},
            {R"({"a":{"x":1.@,)" + f32_2 + "}}", "expected a digit after the decimal point"},
            {R"({"a":{"x":1e@,)" + f32_2 + "}}", "expected a digit after the exponent's 'e'"},
            {"{\"a@\tb\":{" + f32_2 + "}}", "control character byte 0x09 inside a string"},
            {R"({"a\@x":{)" + f32_2 + "}}", "invalid escape sequence: a backslash followed by 'x'"},
            {R"({"a\u12@G4":{)" + f32_2 + "}}", "four hexadecimal digits, found 'G'"},
            {R"({"@\ud800":{)" + f32_2 + "}}", "lone high surrogate"},
            {R"({"@\ud800\u0041":{)" + f32_2 + "}}", "lone high surrogate"},
            {R"({"@\udc00":{)" + f32_2 + "}}", "lone low surrogate"},
            {R"({"a":{"dtype":"F32","shape":[0@2],"data_offsets":[0,8]}})", "leading zeros"},
        };
        for (const auto& c : cases) {
            const auto [header, where] = marked(c.header);
            INFO(header);
            CHECK_THAT(refusal(file_with(header, eight)), Contains(c.message) && Contains(where));
        }
    }
    SECTION("numbers that are not sizes") {
        struct { std::string shape, message; } cases[] = {
            {"[@-1]", "found a negative number"},
            {"[@1.0]", "fraction or an exponent"},
            {"[@1e3]", "fraction or an exponent"},
            {"[@18446744073709551616]", "the integer 18446744073709551616 is too large"},
            {"[@99999999999999999999999999999999999999999999]", "999... is too large"},
            {"[@\"2\"]", "tensor \"a\": expected a dimension (a non-negative integer), found a string"},
            {"@2", "tensor \"a\": \"shape\" must be an array"},
        };
        for (const auto& c : cases) {
            const auto [header, where] = marked(R"({"a":{"dtype":"F32","shape":)" + c.shape + R"(,"data_offsets":[0,8]}})");
            INFO(header);
            CHECK_THAT(refusal(file_with(header, eight)), Contains(c.message) && Contains(where));
        }
        // The largest size, 2^64 - 1, is read exactly (and then refused as too large for the data).
        CHECK_THAT(refusal(file_with(R"({"a":{"dtype":"U8","shape":[18446744073709551615],"data_offsets":[0,8]}})", eight)),
                   Contains("shape [18446744073709551615] need 18446744073709551615 bytes"));
    }
    SECTION("duplicate keys: tensor names, fields, metadata") {
        const std::string names = "{\"a\":{" + f32_2 + "},\"a\":{" + f32_2 + "}}";
        const std::string first = at_byte(names, "\"a\"");  // "at byte N:"
        CHECK_THAT(refusal(file_with(names, eight)),
                   Contains("the key \"a\" appears twice") && Contains(at_byte(names, "\"a\"", 2)) &&
                       Contains("(first " + first.substr(0, first.size() - 1) + ")"));
        const std::string fields = R"({"a":{"dtype":"F32","dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
        CHECK_THAT(refusal(file_with(fields, eight)),
                   Contains("the key \"dtype\" appears twice") && Contains(at_byte(fields, "\"dtype\"", 2)));
        const std::string metadata = R"({"__metadata__":{},"__metadata__":{}})";
        CHECK_THAT(refusal(file_with(metadata)), Contains("the key \"__metadata__\" appears twice"));
        const std::string nested = R"({"a":{"x":{"k":1,"j":2,"k":3},)" + f32_2 + "}}";
        CHECK_THAT(refusal(file_with(nested, eight)), Contains("the key \"k\" appears twice"));
        const std::string escaped = R"({"a":{)" + f32_2 + R"(},"\u0061":{)" + f32_2 + "}}";
        CHECK_THAT(refusal(file_with(escaped, eight)), Contains("the key \"a\" appears twice"));
    }
    SECTION("data ranges that leave gaps, overlap, or do not start at 0") {
        const std::string gap = R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                                R"("b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}})";
        const std::string b_at = at_byte(gap, "{\"dtype\"", 2);
        CHECK_THAT(refusal(file_with(gap, std::string(12, 'x'))),
                   Contains("tensor \"b\" (described " + b_at.substr(0, b_at.size() - 1) + ")") &&
                       Contains("data_offsets [8, 12]") && Contains("\"a\", ends at 4") && Contains("gap of 4 bytes"));
        const std::string overlap = R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                                    R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})";
        CHECK_THAT(refusal(file_with(overlap, std::string(12, 'x'))),
                   Contains("tensor \"b\"") && Contains("overlaps tensor \"a\" (data_offsets [0, 8])"));
        const std::string same = R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                                 R"("b":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
        CHECK_THAT(refusal(file_with(same, std::string(8, 'x'))), Contains("overlaps"));
        const std::string late = R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})";
        CHECK_THAT(refusal(file_with(late, eight)), Contains("first tensor in data order, tensor \"a\"") &&
                                                        Contains("the first 4 bytes belong to no tensor"));
    }
    SECTION("sizes that do not match dtype and shape, or overflow") {
        const std::string mismatch = R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})";
        CHECK_THAT(refusal(file_with(mismatch, eight)),
                   Contains("tensor \"a\"") && Contains("dtype F32 and shape [3] need 12 bytes") && Contains("hold 8"));
        // 2^40 * 2^40 * 4 bytes = 2^82: more than 64 bits.
        const std::string overflow = R"({"a":{"dtype":"F32","shape":[1099511627776,1099511627776],"data_offsets":[0,0]}})";
        CHECK_THAT(refusal(file_with(overflow)), Contains("shape [1099511627776, 1099511627776], too large") &&
                                                     Contains("does not fit in 64 bits"));
        // 2^62 elements of 4 bytes: the element count fits, the byte count does not.
        const std::string bytes_overflow = R"({"a":{"dtype":"F32","shape":[4611686018427387904],"data_offsets":[0,0]}})";
        CHECK_THAT(refusal(file_with(bytes_overflow)), Contains("does not fit in 64 bits"));
        // No elements, but row-major strides of 2^80 would overflow.
        const std::string zero_overflow =
            R"({"a":{"dtype":"U8","shape":[0,1099511627776,1099511627776],"data_offsets":[0,0]}})";
        CHECK_THAT(refusal(file_with(zero_overflow)), Contains("does not fit in 64 bits"));
        const std::string reversed = R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}})";
        CHECK_THAT(refusal(file_with(reversed, eight)), Contains("end before they begin: [8, 0]"));
    }
    SECTION("trailing bytes, and data missing at the end") {
        const std::string header = "{\"a\":{" + f32_2 + "}}";
        const std::size_t data_start = 8 + header.size();  // the tensor takes the 8 bytes from there
        CHECK_THAT(refusal(file_with(header, std::string(11, 'x'))),
                   Contains("3 trailing bytes") && Contains("file bytes [" + std::to_string(data_start + 8) + ", " +
                                                            std::to_string(data_start + 11) + ")"));
        CHECK_THAT(refusal(file_with("{}", "x")), Contains("1 trailing bytes"));
        CHECK_THAT(refusal(file_with(header, "xxxx")),
                   Contains("tensor \"a\"") && Contains("past the end of the data (4 bytes") && Contains("truncated"));
    }
    SECTION("dtypes the format does not define, or typenet does not support") {
        const std::string unknown = R"({"a":{"dtype":"F31","shape":[2],"data_offsets":[0,8]}})";
        CHECK_THAT(refusal(file_with(unknown, eight)),
                   Contains("tensor \"a\" has the unknown dtype \"F31\"") && Contains(at_byte(unknown, "\"F31\"")));
        CHECK_THAT(refusal(file_with(R"({"a":{"dtype":"f32","shape":[2],"data_offsets":[0,8]}})", eight)),
                   Contains("unknown dtype \"f32\""));
        for (const char* name : {"U16", "U32", "U64", "F8_E4M3", "F8_E5M2"}) {
            const std::string header =
                R"({"my.tensor":{"dtype":")" + std::string(name) + R"(","shape":[1],"data_offsets":[0,1]}})";
            INFO(name);
            CHECK_THAT(refusal(file_with(header, "x")), Contains("tensor \"my.tensor\" has dtype " + std::string(name)) &&
                                                            Contains("typenet does not support") && Contains("convert"));
        }
        CHECK_THAT(refusal(file_with(R"({"a":{"dtype":7,"shape":[2],"data_offsets":[0,8]}})", eight)),
                   Contains("\"dtype\" of tensor \"a\" must be a string"));
    }
    SECTION("entries that are not tensor descriptions") {
        const std::string array = R"({"a":[1]})";
        CHECK_THAT(refusal(file_with(array)),
                   Contains("tensor \"a\" must be described by an object") && Contains(at_byte(array, "[")));
        const std::string no_offsets = R"({"a":{"dtype":"F32","shape":[2]}})";
        CHECK_THAT(refusal(file_with(no_offsets, eight)),
                   Contains("tensor \"a\" has no \"data_offsets\"") && Contains(at_byte(no_offsets, "{\"dtype\"")));
        CHECK_THAT(refusal(file_with(R"({"a":{"shape":[2],"data_offsets":[0,8]}})", eight)), Contains("has no \"dtype\""));
        CHECK_THAT(refusal(file_with(R"({"a":{"dtype":"F32","data_offsets":[0,8]}})", eight)), Contains("has no \"shape\""));
        CHECK_THAT(refusal(file_with(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8,8]}})", eight)),
                   Contains("must be [begin, end], but it has more than two"));
        CHECK_THAT(refusal(file_with(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[8]}})", eight)),
                   Contains("must be [begin, end], but it has 1 number"));
        CHECK_THAT(refusal(file_with(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":{}}})", eight)),
                   Contains("\"data_offsets\" must be an array"));
    }
    SECTION("metadata that is not an object of strings") {
        const std::string number = R"({"__metadata__":{"epoch":1}})";
        CHECK_THAT(refusal(file_with(number)),
                   Contains("\"__metadata__\" may hold only strings, but its \"epoch\" is a number") &&
                       Contains(at_byte(number, "1")));
        CHECK_THAT(refusal(file_with(R"({"__metadata__":["pt"]})")), Contains("\"__metadata__\" must be an object"));
        CHECK_THAT(refusal(file_with(R"({"__metadata__":null})")), Contains("found null"));
        CHECK_THAT(refusal(file_with(R"({"__metadata__":{"a":{"b":"c"}}})")), Contains("is an object"));
    }
    SECTION("deep nesting is refused without recursion") {
        const std::string deep_array =
            R"({"a":{"x":)" + std::string(100000, '[') + std::string(100000, ']') + "," + f32_2 + "}}";
        CHECK_THAT(refusal(file_with(deep_array, eight)), Contains("nest deeper than 64 levels"));
        std::string deep_object = R"({"a":{)";
        for (int i = 0; i < 100000; ++i) deep_object += "\"x\":{";
        CHECK_THAT(refusal(file_with(deep_object, eight)), Contains("nest deeper than 64 levels"));
        // 64 levels in all (the header, the tensor entry, 62 arrays) are fine.
        const std::string deepest = R"({"a":{"x":)" + std::string(62, '[') + std::string(62, ']') + "," + f32_2 + "}}";
        CHECK(read_safetensors(buffer(file_with(deepest, eight)), "x").tensors.size() == 1);
        const std::string too_deep = R"({"a":{"x":)" + std::string(63, '[') + std::string(63, ']') + "," + f32_2 + "}}";
        CHECK_THAT(refusal(file_with(too_deep, eight)), Contains("nest deeper"));
    }
}

TEST_CASE("a valid file cut short at any byte is refused") {
    const std::string file = small_valid_file();
    REQUIRE(read_safetensors(buffer(file), "whole").tensors.size() == 2);
    for (std::size_t size = 0; size < file.size(); ++size) {
        INFO("cut to " << size << " bytes");
        CHECK_THROWS_AS(read_safetensors(buffer(file.substr(0, size)), "cut"), format_error);
    }
}

TEST_CASE("a valid file with any one byte changed is refused, or read consistently") {
    const std::string file = small_valid_file();
    std::size_t refused = 0, accepted = 0;
    for (std::size_t at = 0; at < file.size(); ++at) {
        for (const unsigned char value : {0x00, 0xFF, 0x20, 0x22, 0x7B, 0x7D, 0x30, 0x39}) {
            std::string changed = file;
            changed[at] = char(value ^ (changed[at] == char(value) ? 1 : 0));
            try {
                const checkpoint c = read_safetensors(buffer(changed), "changed");
                ++accepted;
                for (const checkpoint_tensor& t : c.tensors) {
                    CHECK(t.storage.size() == t.numel() * size_of(t.dtype));
                    CHECK(t.storage.data() + t.storage.size() <= c.bytes.data.data() + c.bytes.data.size());
                }
            } catch (const format_error&) {
                ++refused;
            }
        }
    }
    // Changing data bytes (the last 32) keeps the file valid; most header changes do not.
    CHECK(accepted >= 32 * 8);
    CHECK(refused > 0);
}

TEST_CASE("files written from PyTorch tensors by an independent writer are read exactly", "[python]") {
    for (const char* name : {"all_dtypes", "variant"}) {
        INFO(name);
        const checkpoint c = read_safetensors(interop_dir() + "/" + name + ".safetensors");
        std::ifstream expected(interop_dir() + "/" + name + ".expected.txt");
        REQUIRE(expected);
        const auto unhex = [](const std::string& hex) {
            std::string out;
            for (std::size_t i = 0; i + 1 < hex.size(); i += 2) out += char(std::stoi(hex.substr(i, 2), nullptr, 16));
            return out;
        };
        std::vector<std::pair<std::string, std::string>> metadata;
        std::size_t index = 0;
        std::string line;
        while (std::getline(expected, line)) {
            std::istringstream words(line);
            std::string kind, key_hex;
            words >> kind >> key_hex;
            if (kind == "metadata") {
                std::string value_hex;
                words >> value_hex;
                metadata.emplace_back(unhex(key_hex), unhex(value_hex));
                continue;
            }
            REQUIRE(index < c.tensors.size());
            const checkpoint_tensor& t = c.tensors[index++];
            std::string dtype_name, shape_text;
            words >> dtype_name >> shape_text;
            INFO(t.key);
            CHECK(t.key == unhex(key_hex));
            CHECK(typenet::name(t.dtype) == dtype_name);
            std::vector<std::size_t> shape;
            if (shape_text != "()") {
                std::istringstream dims(shape_text);
                std::string dim;
                while (std::getline(dims, dim, 'x')) shape.push_back(std::stoull(dim));
            }
            CHECK(t.shape == shape);
            std::vector<std::string> values;
            for (std::string v; words >> v;) values.push_back(v);
            REQUIRE(values.size() == t.numel());
            std::size_t k = 0;
            detail::for_each_element_offset(t, [&](std::size_t at) {
                const detail::element e = detail::read_element(t.storage.data() + at, t.dtype, false);
                if (e.is_integer) {
                    CHECK(e.integer == std::stoll(values[k]));
                } else {
                    const double want = std::strtod(values[k].c_str(), nullptr);
                    INFO("element " << k << ": " << values[k]);
                    CHECK(((std::isnan(want) && std::isnan(e.real)) ||
                           (want == e.real && std::signbit(want) == std::signbit(e.real))));
                }
                ++k;
            });
        }
        CHECK(index == c.tensors.size());
        CHECK(c.metadata == metadata);
    }
}

TEST_CASE("a PyTorch model's state_dict, written by the independent writer, gives PyTorch's outputs", "[python]") {
    using M = InteropModel<float>;
    auto model = std::make_unique<M>();
    load_state_dict(*model, read_safetensors(interop_dir() + "/model.safetensors"));
    std::int64_t tracked = 0;
    std::memcpy(&tracked, model->bytes("1.num_batches_tracked").data(), 8);
    CHECK(tracked == 7);  // the value make_reference.py's randomize gives it
    const std::vector<char> input = test::read_file(interop_dir() + "/model.input.bin");
    const std::vector<char> output = test::read_file(interop_dir() + "/model.output.bin");
    auto x = std::make_unique<M::batch_input_type<2>>();
    auto y = std::make_unique<M::batch_output_type<2>>();
    REQUIRE(input.size() == sizeof(x->elements));
    REQUIRE(output.size() == sizeof(y->elements));
    std::memcpy(x->elements, input.data(), input.size());
    model->forward(*x, *y);
    std::vector<float> expected(output.size() / 4);
    std::memcpy(expected.data(), output.data(), output.size());
    CHECK(test::relative_error(std::span<const float>(y->elements), std::span<const float>(expected)) <= 1e-5);
}

// Hidden from the default run: CTest runs it as the fixture of tests/interop/safetensors_check.py.
TEST_CASE("typenet writes files for the independent Python checker", "[.][typenet_writes]") {
    const std::filesystem::path dir = interop_dir();
    std::filesystem::create_directories(dir);
    const auto write_model = [&]<class T>(T, const std::string& suffix) {
        using M = InteropModel<T>;
        auto model = std::make_unique<M>();
        fill_with_formula(*model);
        const std::filesystem::path path = dir / ("typenet_model" + suffix + ".safetensors");
        save_safetensors(*model, path);
        const checkpoint c = read_safetensors(path);
        REQUIRE(c.tensors.size() == M::state_dict.size());
        for (const state_entry& e : M::state_dict)
            CHECK(std::memcmp(c.find(e.key)->storage.data(), model->bytes(e).data(), e.nbytes) == 0);

        // Input: sample s, element j: ((5 j + 11 s) % 17 - 8) / 8 (exact in float).
        auto x = std::make_unique<typename M::template batch_input_type<2>>();
        auto y = std::make_unique<typename M::template batch_output_type<2>>();
        for (std::size_t s = 0; s < 2; ++s)
            for (std::size_t j = 0; j < 64; ++j) x->elements[64 * s + j] = T((double((5 * j + 11 * s) % 17) - 8) / 8);
        model->forward(*x, *y);
        std::ofstream(dir / ("typenet_model" + suffix + ".input.bin"), std::ios::binary)
            .write(reinterpret_cast<const char*>(x->elements), sizeof(x->elements));
        std::ofstream(dir / ("typenet_model" + suffix + ".output.bin"), std::ios::binary)
            .write(reinterpret_cast<const char*>(y->elements), sizeof(y->elements));
    };
    write_model(float{}, "");
    write_model(double{}, "64");

    // Values safetensors_check.py expects: the ramp i / 4 - 1.5, extremes of each integer type.
    std::vector<float> ramp(6);
    for (std::size_t i = 0; i < ramp.size(); ++i) ramp[i] = float(i) * 0.25f - 1.5f;
    const std::vector<double> ramp64(ramp.begin(), ramp.begin() + 3);
    std::vector<std::uint16_t> half, bf16;
    for (std::size_t i = 0; i < 4; ++i) {
        half.push_back(exact_half(ramp[i]));
        bf16.push_back(exact_bfloat16(ramp[i]));
    }
    const std::vector<std::int64_t> i64 = {std::numeric_limits<std::int64_t>::min(),
                                           std::numeric_limits<std::int64_t>::max(), 42};
    const std::vector<std::int32_t> i32 = {std::numeric_limits<std::int32_t>::min(), std::numeric_limits<std::int32_t>::max()};
    const std::vector<std::int16_t> i16 = {-32768, 32767};
    const std::vector<std::int8_t> i8 = {-128, 127};
    const std::vector<std::uint8_t> u8 = {0, 255, 7};
    const std::vector<std::uint8_t> boolean = {1, 0, 1};
    const std::vector<std::int64_t> nine = {9}, one = {1};
    const std::vector<safetensors_tensor> tensors = {
        tensor("f32", dtype::float32, {2, 3}, bytes_of(ramp)),   tensor("f64", dtype::float64, {3}, bytes_of(ramp64)),
        tensor("f16", dtype::float16, {2, 2}, bytes_of(half)),   tensor("bf16", dtype::bfloat16, {4}, bytes_of(bf16)),
        tensor("i64", dtype::int64, {3}, bytes_of(i64)),         tensor("i32", dtype::int32, {2}, bytes_of(i32)),
        tensor("i16", dtype::int16, {2}, bytes_of(i16)),         tensor("i8", dtype::int8, {2}, bytes_of(i8)),
        tensor("u8", dtype::uint8, {3}, bytes_of(u8)),           tensor("bool", dtype::bool_, {3}, bytes_of(boolean)),
        tensor("scalar", dtype::int64, {}, bytes_of(nine)),      tensor("empty", dtype::float32, {0, 3}, {}),
        tensor("quote \" backslash \\ newline \n tab \t bell \x07 \xC3\xA9\xE2\x98\x83\xF0\x9F\x98\x80", dtype::int64, {1},
               bytes_of(one)),
    };
    const std::filesystem::path path = dir / "typenet_tensors.safetensors";
    save_safetensors(tensors, path, {{"format", "pt"}, {"source", "typenet \xC3\xA9"}});
    CHECK(read_safetensors(path).tensors.size() == tensors.size());
}
