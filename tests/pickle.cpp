// Tests of detail/formats/pickle.hpp, the restricted unpickler: the values each accepted opcode makes, the
// globals it accepts and refuses, and hostile input (deep nesting, huge lengths, bad memo indices).
// The byte sequences are written opcode by opcode with pickletools' names; the expected values
// follow from the opcodes' definitions in Python's pickle module, noted where not obvious.
#include <catch2/catch.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <typenet/detail/formats/pickle.hpp>

#include "pth_test_support.hpp"

using typenet::format_error;
using typenet::detail::pickle_id;
using typenet::detail::pickle_kind;
using typenet::detail::pickle_tree;
using typenet::detail::unpickle_options;

namespace {

pickle_tree parse(const test::pickle_builder& p, const unpickle_options& options = {}) {
    return typenet::detail::unpickle(p.bytes, options);
}
std::string repr(const pickle_tree& tree) { return typenet::detail::pickle_repr(tree, tree.root, 1000); }

std::string error_of(const test::pickle_builder& p, const unpickle_options& options = {}) {
    try {
        parse(p, options);
    } catch (const format_error& e) {
        return e.what();
    }
    return "";
}

// Accepts ('storage', torch.XStorage, key, location, numel) and numbers the storages.
unpickle_options with_storages() {
    unpickle_options options;
    options.source = "test.pkl";
    options.persistent_load = [count = std::int64_t(0)](const pickle_tree& tree, pickle_id id, std::size_t) mutable {
        if (tree[id].kind != pickle_kind::tuple || tree.items(id).size() != 5) throw format_error("bad persistent id");
        return count++;
    };
    return options;
}

}  // namespace

TEST_CASE("unpickle: scalars and strings", "[pickle]") {
    using B = test::pickle_builder;
    CHECK(repr(parse(B().proto().op('N').stop())) == "None");
    CHECK(repr(parse(B().proto().op(0x88).stop())) == "True");
    CHECK(repr(parse(B().proto().op(0x89).stop())) == "False");
    CHECK(repr(parse(B().proto().op('K').op(200).stop())) == "200");                      // BININT1: unsigned byte
    CHECK(repr(parse(B().proto().op('M').op(0x34).op(0x12).stop())) == "4660");           // BININT2: 0x1234
    CHECK(repr(parse(B().proto().op('J').little_endian(0xFFFFFFFE, 4).stop())) == "-2");  // BININT: signed 32-bit
    CHECK(repr(parse(B().proto().op('J').little_endian(0x7FFFFFFF, 4).stop())) == "2147483647");
    // BINFLOAT: big-endian IEEE 754; 0x3FD0000000000000 is 0.25, 0x4014000000000000 is 5.0.
    CHECK(repr(parse(B().proto().op('G').raw(std::string("\x3F\xD0\0\0\0\0\0\0", 8)).stop())) == "0.25");
    CHECK(repr(parse(B().proto().op('G').raw(std::string("\x40\x14\0\0\0\0\0\0", 8)).stop())) == "5.0");
    CHECK(repr(parse(B().proto().op('G').raw(std::string("\x3E\x45\x79\x8E\xE2\x30\x8C\x3A", 8)).stop())) == "1e-08");
    CHECK(repr(parse(B().proto().unicode("caf\xc3\xa9").stop())) == "'caf\\xc3\\xa9'");   // UTF-8 bytes kept, escaped for display
    CHECK(repr(parse(B().proto().op('U').op(3).raw("abc").stop())) == "'abc'");          // SHORT_BINSTRING
    CHECK(repr(parse(B().proto().unicode("").stop())) == "''");
}

TEST_CASE("unpickle: LONG1 integers of every width", "[pickle]") {
    using B = test::pickle_builder;
    auto long1 = [](std::initializer_list<unsigned char> digits) {
        B b;
        b.proto().op(0x8a).op(static_cast<unsigned char>(digits.size()));
        for (unsigned char d : digits) b.op(d);
        return parse(b.stop());
    };
    CHECK(repr(long1({})) == "0");                 // zero bytes encode 0
    CHECK(repr(long1({0xFF})) == "-1");            // two's complement
    CHECK(repr(long1({0x80})) == "-128");
    CHECK(repr(long1({0x80, 0x00})) == "128");     // a clear top byte keeps it positive
    CHECK(repr(long1({0, 0, 0, 0, 0, 1})) == "1099511627776");  // 2^40
    CHECK(repr(long1({0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F, 0x00})) == "9223372036854775807");
    CHECK(repr(long1({0, 0, 0, 0, 0, 0, 0, 0x80, 0xFF})) == "-9223372036854775808");
    // 2^63 and 2^64 do not fit in int64: kept as bytes.
    const pickle_tree big = long1({0, 0, 0, 0, 0, 0, 0, 0x80, 0x00});
    CHECK(big[big.root].kind == pickle_kind::big_integer);
    CHECK(big.text(big.root).size() == 9);
    // PyTorch's legacy magic number 0x1950a86a20f9469cfc6c: 10 bytes.
    const pickle_tree magic = long1({0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19});
    CHECK(magic[magic.root].kind == pickle_kind::big_integer);
    CHECK(repr(magic) == "<int of 10 bytes>");
}

TEST_CASE("unpickle: containers, MARK frames and the memo", "[pickle]") {
    test::pickle_builder c;
    c.proto().op('}').op('q').op(0).mark();
    c.unicode("list").op(']').op('K').op(7).op('a').mark().op('K').op(8).op('K').op(9).op('e');
    c.unicode("tuple").mark().op('N').op(0x88).op('t');
    c.unicode("empty").op(')');
    c.unicode("set").op(0x8f);
    c.op('u');
    c.unicode("again").op('r').little_endian(5, 4).op('j').little_endian(5, 4).op(0x86);  // LONG_BINPUT/GET
    c.op(0x85).unicode("x").op('s');  // SETITEM: key (('again', 'again'),) -> 'x'
    c.stop();
    const pickle_tree tree = parse(c);
    CHECK(repr(tree) == "{'list': [7, 8, 9], 'tuple': (None, True), 'empty': (), 'set': {}, (('again', 'again'),): 'x'}");
    CHECK(tree.end == c.bytes.size());
}

TEST_CASE("unpickle: a list that contains itself is harmless to print and to destroy", "[pickle]") {
    test::pickle_builder b;
    b.proto().op(']').op('q').op(0).op('h').op(0).op('a').stop();  // l = []; l.append(l)
    const pickle_tree tree = parse(b);
    CHECK(tree.items(tree.root)[0] == tree.root);
    const std::string text = typenet::detail::pickle_repr(tree, tree.root, 100);
    CHECK(text.starts_with("[[[[[["));
    CHECK(text.size() <= 103);
}

TEST_CASE("unpickle: tensors, storages and torch's other globals", "[pickle]") {
    test::pickle_builder b;
    b.proto().ordered_dict().mark();
    b.unicode("w").tensor("FloatStorage", "0", 6, 0, {2, 3}, {3, 1});
    b.unicode("t").tensor("HalfStorage", "1", 6, 2, {2, 2}, {1, 2});
    b.unicode("s").tensor("LongStorage", "2", 1, 0, {}, {});
    b.unicode("p").global("torch._utils", "_rebuild_parameter").mark();
    b.tensor("DoubleStorage", "3", 4, 0, {4}, {1}).op(0x88).ordered_dict().op('t').op('R');
    b.unicode("n").global("torch.nn.parameter", "Parameter");
    b.tensor("BoolStorage", "4", 1, 0, {1}, {1}).op(0x85).op(0x81);  // NEWOBJ Parameter(tensor)
    b.unicode("size").global("torch", "Size").int_tuple({2, 3}).op(0x85).op('R');
    b.unicode("device").global("torch", "device").unicode("cuda").op('K').op(1).op(0x86).op('R');
    b.unicode("dtype").global("torch", "bfloat16");
    b.op('u');
    b.op('}').unicode("_metadata").op('}').op('s').op('b');  // BUILD: the OrderedDict's attributes
    b.stop();
    const pickle_tree tree = parse(b, with_storages());
    const auto& root = tree[tree.root];
    REQUIRE(root.kind == pickle_kind::dict);
    CHECK(root.ordered);
    REQUIRE(tree.attributes(tree.root) != typenet::detail::no_pickle_value);
    CHECK(tree[tree.attributes(tree.root)].kind == pickle_kind::dict);
    const auto items = tree.items(tree.root);
    REQUIRE(items.size() == 16);  // 8 entries
    auto value = [&](std::size_t i) { return items[2 * i + 1]; };
    const pickle_id w = value(0);
    REQUIRE(tree[w].kind == pickle_kind::tensor);
    CHECK(tree.tensor_shape(w) == std::vector<std::uint64_t>{2, 3});
    CHECK(tree.tensor_strides(w) == std::vector<std::uint64_t>{3, 1});
    CHECK(tree[tree.tensor_storage(w)].kind == pickle_kind::storage);
    CHECK(tree[tree.tensor_storage(w)].number == 0);
    CHECK(tree[value(1)].number == 2);  // storage offset
    CHECK(tree[tree.tensor_storage(value(1))].number == 1);
    CHECK(tree.tensor_shape(value(2)).empty());
    CHECK(tree[value(3)].kind == pickle_kind::tensor);
    CHECK(tree[tree.tensor_storage(value(3))].number == 3);
    CHECK(tree[value(4)].kind == pickle_kind::tensor);
    CHECK(repr(tree).find("'size': (2, 3)") != std::string::npos);
    CHECK(repr(tree).find("'device': <torch.device('cuda:1')>") != std::string::npos);
    CHECK(repr(tree).find("'dtype': <torch.bfloat16>") != std::string::npos);
}

TEST_CASE("unpickle: globals outside the allow-list are refused by name, nothing runs", "[pickle]") {
    const std::pair<const char*, const char*> refused[] = {
        {"posix", "system"},    {"os", "system"},          {"builtins", "eval"},      {"subprocess", "Popen"},
        {"__main__", "Model"},  {"torch", "load"},         {"torch._utils", "_rebuild_qtensor"},
        {"collections", "defaultdict"}, {"torch", "Storage"}, {"torch", "Tensor.__reduce__"},
    };
    for (const auto& [module, name] : refused) {
        CAPTURE(module, name);
        test::pickle_builder b;
        b.proto().global(module, name).unicode("echo hi").op(0x85).op('R').stop();
        const std::string message = error_of(b);
        CHECK_THAT(message, Catch::Contains(std::string(module) + "." + name) && Catch::Contains("refusing the global") &&
                                Catch::Contains("byte offset 2"));
    }
}

TEST_CASE("unpickle: opcodes outside the weights_only set are refused with name and offset", "[pickle]") {
    const std::pair<unsigned char, const char*> refused[] = {
        {'i', "INST"},          {'o', "OBJ"},         {'0', "POP"},          {'2', "DUP"},
        {'T', "BINSTRING"},     {0x92, "NEWOBJ_EX"},  {'d', "DICT"},         {'P', "PERSID"},
        {0x8b, "LONG4"},        {0x82, "EXT1"},       {'V', "UNICODE"},      {0x97, "NEXT_BUFFER"},
    };
    for (const auto& [op, name] : refused) {
        CAPTURE(name);
        test::pickle_builder b;
        b.proto().op('N').op(op).stop();
        CHECK_THAT(error_of(b), Catch::Contains(std::string("opcode ") + name) && Catch::Contains("byte offset 3"));
    }
    test::pickle_builder b;
    b.proto().op(0xF0).stop();
    CHECK_THAT(error_of(b), Catch::Contains("0xf0 is not a pickle opcode") && Catch::Contains("byte offset 2"));
}

TEST_CASE("unpickle: malformed streams are refused", "[pickle]") {
    using B = test::pickle_builder;
    const std::pair<B, const char*> cases[] = {
        {B(), "without a STOP"},
        {B().proto(), "without a STOP"},
        {B().proto().op('N'), "without a STOP"},
        {B().proto().stop(), "needs more values"},
        {B().proto().op(0x80).op(6).op('N').stop(), "protocol 6"},
        {B().proto().op('a').stop(), "needs more values"},
        {B().proto().op('}').op('K').op(1).op('a').stop(), "needs a list"},
        {B().proto().op(']').op('K').op(1).op('K').op(1).op('s').stop(), "needs a dict"},
        {B().proto().op(']').mark().op('K').op(1).op('K').op(1).op('u').stop(), "needs a dict"},
        {B().proto().op('}').mark().op('K').op(1).op('u').stop(), "odd number"},
        {B().proto().op('}').mark().op('K').op(1).op('e').stop(), "needs a list"},
        {B().proto().mark().op('K').op(1).op('e').stop(), "needs more values"},  // nothing below the MARK
        {B().proto().op('t').stop(), "without a MARK"},
        {B().proto().op('e').stop(), "without a MARK"},
        {B().proto().mark().op(0x85).stop(), "needs more values"},                // TUPLE1 cannot reach past a MARK
        {B().proto().op('K').op(1).mark().op('a').stop(), "needs more values"},
        {B().proto().op('h').op(0).stop(), "memo index 0 was never stored"},
        {B().proto().op('q').op(0).stop(), "needs more values"},
        {B().proto().op('N').op('r').little_endian(0xFFFFFFFF, 4).stop(), "memo index 4294967295"},
        {B().proto().op('j').little_endian(7, 4).stop(), "memo index 7 was never stored"},
        {B().proto().op('X').little_endian(0xFFFFFFFF, 4).raw("abc").stop(), "needs 4294967295 bytes but 4 are left"},
        {B().proto().op('U').op(200).raw("abc").stop(), "needs 200 bytes"},
        {B().proto().op(0x8a).op(255).raw("abc").stop(), "needs 255 bytes"},
        {B().proto().op('J').op(1), "needs 4 bytes"},
        {B().proto().op('G').raw("abc"), "needs 8 bytes"},
        {B().proto().op('c').raw("collections\nOrderedDict"), "does not end"},
        {B().proto().op('N').op('Q').stop(), "no storage can be"},
        {B().proto().op('N').op('N').op('R').stop(), "not a function"},
        {B().proto().global("torch", "FloatStorage").op(')').op('R').stop(), "does not call"},
        {B().proto().global("torch", "Size").op(')').op('R').stop(), "torch.Size expects a tuple of 1"},
        {B().proto().ordered_dict().op(']').op('b').stop(), "BUILD's state must be a dict"},
        {B().proto().op(']').op('}').op('b').stop(), "sets only a dict's"},
        {B().proto().global("torch", "float32").op(')').op(0x81).stop(), "creates only torch.nn.Parameter"},
        {B().proto().global("torch._utils", "_rebuild_tensor_v2").op('N').op(0x85).op('R').stop(), "tuple of 6 to 7"},
        {B().proto().global("torch._utils", "_rebuild_parameter").op('N').op('N').op('N').op(0x87).op('R').stop(),
         "expects a tensor"},
    };
    for (const auto& [pickle, message] : cases) {
        CAPTURE(message);
        CHECK_THAT(error_of(pickle), Catch::Contains(message));
    }
}

TEST_CASE("unpickle: tensor arguments are checked", "[pickle]") {
    using B = test::pickle_builder;
    auto tensor_with = [](auto&& arguments) {
        B b;
        b.proto().global("torch._utils", "_rebuild_tensor_v2").mark();
        b.mark().unicode("storage").global("torch", "FloatStorage").unicode("0").unicode("cpu").op('K').op(4).op('t').op('Q');
        arguments(b);
        b.op(0x89).ordered_dict().op('t').op('R').stop();
        return error_of(b, with_storages());
    };
    CHECK(tensor_with([](B& b) { b.op('K').op(0).int_tuple({2, 2}).int_tuple({2, 1}); }).empty());
    CHECK_THAT(tensor_with([](B& b) { b.op('J').little_endian(0xFFFFFFFF, 4).int_tuple({4}).int_tuple({1}); }),
               Catch::Contains("storage offset must be a non-negative integer"));
    CHECK_THAT(tensor_with([](B& b) { b.op('K').op(0).mark().op('J').little_endian(0xFFFFFFFF, 4).op('t').int_tuple({1}); }),
               Catch::Contains("size must be a non-negative integer"));
    CHECK_THAT(tensor_with([](B& b) { b.op('K').op(0).int_tuple({4}).int_tuple({1, 1}); }),
               Catch::Contains("size has 1 dimensions but its stride 2"));
    CHECK_THAT(tensor_with([](B& b) { b.op('K').op(0).unicode("4").int_tuple({1}); }),
               Catch::Contains("must be a tuple of integers"));
    CHECK_THAT(tensor_with([](B& b) { b.op('K').op(0).int_tuple({std::uint64_t(1) << 63}).int_tuple({1}); }),
               Catch::Contains("size must be a non-negative integer"));  // 2^63 is no int64
    // At most 64 dimensions (checked before the tuple is read, so a memoized huge tuple costs nothing).
    CHECK(tensor_with([](B& b) {
              b.op('K').op(0).mark();
              for (int i = 0; i < 64; ++i) b.op('K').op(1);
              b.op('t').op('q').op(9).op('h').op(9);
          }).empty());  // 64 dimensions of size 1, strides 1 (the same tuple, from the memo)
    CHECK_THAT(tensor_with([](B& b) {
                   b.op('K').op(0).mark();
                   for (int i = 0; i < 65; ++i) b.op('K').op(1);
                   b.op('t').op('q').op(9).op('h').op(9);
               }),
               Catch::Contains("size has 65 dimensions; typenet reads at most 64"));
    // The first argument must be a storage from a persistent id.
    B b;
    b.proto().global("torch._utils", "_rebuild_tensor_v2").mark().op('N').op('K').op(0).int_tuple({1}).int_tuple({1});
    b.op(0x89).ordered_dict().op('t').op('R').stop();
    CHECK_THAT(error_of(b), Catch::Contains("expects a storage"));
}

TEST_CASE("unpickle: nesting 100,000 levels deep is refused cleanly, 900 levels are fine", "[pickle]") {
    const std::size_t deep = 100'000;
    SECTION("MARKs") {
        test::pickle_builder b;
        b.proto();
        for (std::size_t i = 0; i < deep; ++i) b.mark();
        for (std::size_t i = 0; i < deep; ++i) b.op('t');
        CHECK_THAT(error_of(b.stop()), Catch::Contains("nested more than 1000 levels"));
    }
    SECTION("lists appended into lists") {
        test::pickle_builder b;
        b.proto();
        for (std::size_t i = 0; i < deep; ++i) b.op(']');
        for (std::size_t i = 1; i < deep; ++i) b.op('a');
        CHECK_THAT(error_of(b.stop()), Catch::Contains("nested more than 1000 levels"));
    }
    SECTION("tuples of tuples, without a MARK") {
        test::pickle_builder b;
        b.proto().op(')');
        for (std::size_t i = 0; i < deep; ++i) b.op(0x85);
        CHECK_THAT(error_of(b.stop()), Catch::Contains("nested more than 1000 levels"));
    }
    SECTION("dicts in dicts") {
        test::pickle_builder b;
        b.proto();
        for (std::size_t i = 0; i < deep; ++i) b.op('}').unicode("k");
        b.op('N');
        for (std::size_t i = 0; i < deep; ++i) b.op('s');
        CHECK_THAT(error_of(b.stop()), Catch::Contains("nested more than 1000 levels"));
    }
    SECTION("900 levels parse; printing is bounded") {
        test::pickle_builder b;
        b.proto().op(')');
        for (std::size_t i = 0; i < 900; ++i) b.op(0x85);
        const pickle_tree tree = parse(b.stop());
        CHECK(tree[tree.root].height == 900);
        CHECK(typenet::detail::pickle_repr(tree, tree.root, 10'000).size() < 100);
    }
}

TEST_CASE("unpickle: the tree's size is bounded by the input's", "[pickle]") {
    // 50,000 BINGETs of one string appended to a list: memo gets share the value, never copy it.
    test::pickle_builder b;
    b.proto().op(']').unicode("x").op('q').op(0).op('a').mark();
    for (int i = 0; i < 49'999; ++i) b.op('h').op(0);
    b.op('e').stop();
    const pickle_tree tree = parse(b);
    CHECK(tree.size() == 6);  // the list, the string, and the four every tree makes first: None, True, False, ()
    CHECK(tree.items(tree.root).size() == 50'000);
}

TEST_CASE("unpickle: byte offsets in messages count from base_offset", "[pickle]") {
    unpickle_options options;
    options.source = "model.pth (model/data.pkl)";
    options.base_offset = 1000;
    test::pickle_builder b;
    b.proto().op('N').op(0x93).stop();
    CHECK_THAT(error_of(b, options), Catch::Contains("model.pth (model/data.pkl): pickle at byte offset 1003"));
}

TEST_CASE("unpickle: random bytes never crash", "[pickle]") {
    // A fixed linear congruential sequence: reproducible inputs biased towards accepted opcodes.
    const std::string alphabet = "(.NK]}aestuqhR\x85\x86\x87\x88\x89QJMX";
    std::uint64_t state = 12345;
    auto next = [&] {
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        return std::uint32_t(state >> 33);
    };
    std::size_t parsed = 0;
    for (int round = 0; round < 3000; ++round) {
        test::pickle_builder b;
        b.proto();
        const std::size_t length = next() % 64;
        for (std::size_t i = 0; i < length; ++i)
            b.op(next() % 4 ? static_cast<unsigned char>(alphabet[next() % alphabet.size()]) : static_cast<unsigned char>(next()));
        b.stop();
        try {
            const pickle_tree tree = parse(b, with_storages());
            typenet::detail::pickle_repr(tree, tree.root);
            ++parsed;
        } catch (const format_error&) {
        }
    }
    CHECK(parsed > 0);
}

TEST_CASE("unpickle: the opcodes of protocols 3 and 4 that torch.save writes", "[pickle]") {
    using B = test::pickle_builder;
    // FRAME (protocol 4 frames the stream; a reader only checks that the bytes it announces are
    // there), SHORT_BINUNICODE, MEMOIZE (memo index 0, 1, ...), STACK_GLOBAL (module and name from
    // the stack), BINUNICODE8.
    B b;
    b.op(0x80).op(4).op(0x95).little_endian(0x1F, 8);
    b.op(0x8c).op(11).raw("collections").op(0x94).op(0x8c).op(11).raw("OrderedDict").op(0x94).op(0x93).op(0x94);
    b.op(')').op('R').op(0x94).mark();
    b.op(0x8d).little_endian(3, 8).raw("key").op('h').op(0);     // 'key': 'collections', from the memo
    b.op(0x8c).op(5).raw("bytes").op('C').op(2).op(0).op(0xFF);   // SHORT_BINBYTES
    b.op(0x8c).op(3).raw("set").op(0x8f).mark().op('K').op(1).op('K').op(2).op(0x90);  // EMPTY_SET, ADDITEMS
    b.op(0x8c).op(6).raw("frozen").mark().op('K').op(3).op(0x91);  // FROZENSET
    b.op(0x8c).op(1).raw("B").op('B').little_endian(1, 4).raw("x").op(0x8c).op(2).raw("B8").op(0x8e).little_endian(0, 8);
    b.op('u').stop();
    const pickle_tree tree = parse(b);
    CHECK(repr(tree) == "{'key': 'collections', 'bytes': b'\\x00\\xff', 'set': {1, 2}, 'frozen': {3}, 'B': b'x', 'B8': b''}");
    CHECK(tree[tree.root].ordered);
    const auto items = tree.items(tree.root);
    CHECK(typenet::detail::describe_pickle_value(tree, items[3]) == "bytes (2 bytes)");
    CHECK(typenet::detail::describe_pickle_value(tree, items[5]) == "set (2 items)");

    CHECK_THAT(error_of(B().proto().op(0x8c).op(2).raw("os").op(0x8c).op(6).raw("system").op(0x93).stop()),
               Catch::Contains("refusing the global os.system"));
    CHECK_THAT(error_of(B().proto().op('K').op(1).op(0x8c).op(6).raw("system").op(0x93).stop()),
               Catch::Contains("STACK_GLOBAL needs two strings"));
    CHECK_THAT(error_of(B().op(0x80).op(4).op(0x95).little_endian(100, 8).op('N').stop()),
               Catch::Contains("FRAME announces 100 bytes but 2 are left"));
    CHECK_THAT(error_of(B().proto().op(0x8d).little_endian(~std::uint64_t(0), 8).stop()),
               Catch::Contains("BINUNICODE8 needs 18446744073709551615 bytes"));
    CHECK_THAT(error_of(B().proto().op(0x94).stop()), Catch::Contains("MEMOIZE needs more values"));
    CHECK_THAT(error_of(B().proto().op(']').mark().op('K').op(1).op(0x90).stop()), Catch::Contains("ADDITEMS needs a set"));
}
