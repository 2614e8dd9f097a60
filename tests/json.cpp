// Tests of detail/formats/json.hpp, the strict JSON reader behind safetensors' header, and its quoting.
#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include <typenet/detail/formats/json.hpp>

using namespace typenet::detail::json;
using Catch::Matchers::Contains;

namespace {

// The message of the format_error that `walk` throws on `text`; fails the test if none is thrown.
template <class F>
std::string error_of(std::string_view text, F walk) {
    try {
        reader r(text, "test", 100);
        walk(r);
    } catch (const typenet::format_error& e) {
        return e.what();
    }
    FAIL("no error for " << text);
    return {};
}

std::string error_skipping(std::string_view text) {
    return error_of(text, [](reader& r) {
        r.skip_value();
        r.finish();
    });
}

// Reads the single string of `["..."]` written in `literal`.
std::string decode(std::string_view literal) {
    const std::string text = typenet::detail::concat({"[", literal, "]"});  // not "[" + string: GCC 12 -Wrestrict
    reader r(text, "test");
    r.begin_array();
    REQUIRE(r.next_element());
    std::string s = r.read_string();
    REQUIRE_FALSE(r.next_element());
    r.finish();
    return s;
}

}  // namespace

TEST_CASE("json: a document is walked member by member, values read or skipped") {
    const std::string text = R"( {"name": "conv", "shape" : [32, 1, 3, 3], "skip": {"a": [1, -2.5e+10, 0.0, true, false, null,)"
                             R"( "s", [], {}], "b": {"c": {"d": [[]]}}}, "last": 18446744073709551615 } )";
    reader r(text, "test");
    REQUIRE(r.peek() == kind::object);
    r.begin_object();
    std::string key;
    REQUIRE(r.next_member(key));
    CHECK(key == "name");
    CHECK(r.read_string() == "conv");
    REQUIRE(r.next_member(key));
    CHECK(key == "shape");
    r.begin_array();
    std::vector<std::uint64_t> shape;
    while (r.next_element()) shape.push_back(r.read_uint64());
    CHECK(shape == std::vector<std::uint64_t>{32, 1, 3, 3});
    REQUIRE(r.next_member(key));
    CHECK(key == "skip");
    r.skip_value();
    CHECK(r.depth() == 1);
    REQUIRE(r.next_member(key));
    CHECK(key == "last");
    CHECK(r.read_uint64() == UINT64_MAX);
    CHECK_FALSE(r.next_member(key));
    CHECK(r.depth() == 0);
    r.finish();
}

TEST_CASE("json: peek names every kind of value") {
    const std::pair<std::string, kind> cases[] = {{"{}", kind::object}, {"[]", kind::array},      {"\"\"", kind::string},
                                                  {"-1", kind::number}, {"0", kind::number},      {"true", kind::boolean},
                                                  {"false", kind::boolean}, {"null", kind::null}};
    for (const auto& [text, k] : cases) {
        reader r(text, "test");
        CHECK(r.peek() == k);
        r.skip_value();
        r.finish();
    }
}

TEST_CASE("json: strings decode every escape, surrogate pairs included") {
    CHECK(decode(R"("\" \\ \/ \b \f \n \r \t")") == "\" \\ / \b \f \n \r \t");
    CHECK(decode(R"("\u0041\u00e9\u20AC")") == "A\xC3\xA9\xE2\x82\xAC");
    CHECK(decode(R"("\ud83d\ude00")") == "\xF0\x9F\x98\x80");           // U+1F600
    CHECK(decode(R"("\uDBFF\uDFFF")") == "\xF4\x8F\xBF\xBF");           // U+10FFFF, the last code point
    CHECK(decode(R"("\u0000")") == std::string(1, '\0'));
    CHECK(decode("\"raw \xC3\xA9 \xF0\x9F\x98\x80 \x7F\"") == "raw \xC3\xA9 \xF0\x9F\x98\x80 \x7F");
    CHECK(decode(R"("")").empty());
}

TEST_CASE("json: invalid strings are refused at the offending byte") {
    // Offsets: the reader was given base 100, and decode-like text starts with '['.
    const auto string_error = [](std::string_view literal) {
        return error_skipping(typenet::detail::concat({"[", literal, "]"}));
    };
    CHECK_THAT(string_error(R"("abc)"), Contains("at byte 101:") && Contains("no closing"));
    CHECK_THAT(error_skipping(R"("a\)"), Contains("at byte 102:") && Contains("ends inside an escape"));
    CHECK_THAT(string_error(R"("\q")"), Contains("at byte 103:") && Contains("a backslash followed by 'q'"));
    CHECK_THAT(string_error(R"("\u12")"), Contains("at byte 106:") && Contains("four hexadecimal digits, found '\"'"));
    CHECK_THAT(string_error(R"("x\ud800")"), Contains("at byte 103:") && Contains("lone high surrogate"));
    CHECK_THAT(string_error(R"("\ud800\n")"), Contains("at byte 102:") && Contains("lone high surrogate"));
    CHECK_THAT(string_error(R"("\ud800\ud800")"), Contains("lone high surrogate"));
    CHECK_THAT(string_error(R"("\ude00")"), Contains("at byte 102:") && Contains("lone low surrogate"));
    CHECK_THAT(string_error("\"a\nb\""), Contains("at byte 103:") && Contains("control character byte 0x0A"));
    CHECK_THAT(string_error("\"\x1F\""), Contains("control character byte 0x1F"));
    CHECK_THAT(string_error("\"\xC3\""), Contains("at byte 102:") && Contains("invalid UTF-8: byte 0xC3"));
}

TEST_CASE("json: UTF-8 validation accepts exactly the encodings of Unicode scalar values") {
    // Every scalar value, encoded, is one valid sequence of the expected length.
    bool all_valid = true;
    for (std::uint32_t cp = 0; cp <= 0x10FFFF; ++cp) {
        if (cp >= 0xD800 && cp <= 0xDFFF) continue;
        std::string encoded;
        append_utf8(encoded, cp);
        const std::size_t expected_length = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
        all_valid = all_valid && encoded.size() == expected_length && utf8_sequence_length(encoded) == expected_length;
    }
    CHECK(all_valid);
    // Every sequence that is not such an encoding is refused: overlong forms, surrogates, values past
    // U+10FFFF, lone continuation bytes, bytes never used in UTF-8, cut sequences.
    const std::string invalid[] = {"\xC0\x80", "\xC1\xBF",         "\xE0\x9F\xBF",     "\xED\xA0\x80", "\xED\xBF\xBF",
                                   "\xF0\x8F\xBF\xBF", "\xF4\x90\x80\x80", "\xF5\x80\x80\x80", "\x80",     "\xBF",
                                   "\xF8",     "\xFE",             "\xFF",             "\xC3",         "\xE2\x82",
                                   "\xF0\x9F\x98",     "\xC3\x28",         "\xE2\x28\xA1"};
    for (const std::string& s : invalid) {
        INFO("bytes of length " << s.size() << ", first " << int(static_cast<unsigned char>(s[0])));
        CHECK(utf8_sequence_length(s) == 0);
        CHECK(find_invalid_utf8("ok" + s) == 2);
    }
    CHECK(find_invalid_utf8("plain \xC3\xA9") == std::string_view::npos);
    CHECK(find_invalid_utf8("") == std::string_view::npos);
}

TEST_CASE("json: non-negative integers are read exactly, with overflow detected") {
    const auto number = [](std::string_view text) {
        reader r(text, "test");
        const std::uint64_t v = r.read_uint64();
        r.finish();
        return v;
    };
    CHECK(number("0") == 0);
    CHECK(number("1844674407370955161") == 1844674407370955161ull);
    CHECK(number("18446744073709551615") == UINT64_MAX);
    const auto integer_error = [](std::string_view text) {
        return error_of(text, [](reader& r) { r.read_uint64(); r.finish(); });
    };
    CHECK_THAT(integer_error("18446744073709551616"), Contains("at byte 100:") && Contains("too large"));
    CHECK_THAT(integer_error("99999999999999999999"), Contains("too large"));
    CHECK_THAT(integer_error("-0"), Contains("negative"));
    CHECK_THAT(integer_error("1.5"), Contains("fraction or an exponent"));
    CHECK_THAT(integer_error("1E5"), Contains("fraction or an exponent"));
    CHECK_THAT(integer_error("007"), Contains("at byte 101:") && Contains("leading zeros"));
    CHECK_THAT(integer_error("\"7\""), Contains("expected a non-negative integer, found a string"));
    CHECK_THAT(integer_error("7 7"), Contains("at byte 102:") && Contains("after the end of the JSON value"));
}

TEST_CASE("json: every number the grammar allows is skipped, and nothing else") {
    for (const char* valid : {"0", "-0", "12", "-12", "0.5", "-0.25e-7", "1E+2", "1e2", "123.456E-789", "1e0001"}) {
        INFO(valid);
        reader r(valid, "test");
        r.skip_value();
        CHECK_NOTHROW(r.finish());
    }
    for (const char* invalid : {"+1", ".5", "1.", "1.e5", "01", "-", "--1", "1e", "1e+", "0x10", "Infinity", "-NaN", "1.5.5"}) {
        INFO(invalid);
        CHECK_FALSE(error_skipping(invalid).empty());
    }
}

TEST_CASE("json: structure errors say what was expected") {
    CHECK_THAT(error_skipping(""), Contains("at byte 100:") && Contains("expected a value, found the end of the text"));
    CHECK_THAT(error_skipping("   "), Contains("at byte 103:"));
    CHECK_THAT(error_skipping("[1,]"), Contains("at byte 103:") && Contains("expected a value, found ']'"));
    CHECK_THAT(error_skipping("[1}"), Contains("expected ',' or ']' after an element, found '}'"));
    CHECK_THAT(error_skipping("{\"a\":1,}"), Contains("expected a string key, found '}'"));
    CHECK_THAT(error_skipping("{\"a\" 1}"), Contains("expected ':' after the key \"a\", found '1'"));
    CHECK_THAT(error_skipping("{\"a\":}"), Contains("expected a value, found '}'"));
    CHECK_THAT(error_skipping("{1:2}"), Contains("expected a string key, found '1'"));
    CHECK_THAT(error_skipping("[true false]"), Contains("expected ',' or ']'"));
    CHECK_THAT(error_skipping("nul"), Contains("invalid literal: expected null"));
    CHECK_THAT(error_skipping("truex"), Contains("unexpected 'x' after the end"));
    CHECK_THAT(error_skipping("[] []"), Contains("after the end"));
    CHECK_THAT(error_skipping("\xEF\xBB\xBF{}"), Contains("byte 0xEF"));  // a byte-order mark is not JSON
    CHECK_THAT(error_skipping("{\"a\":1"), Contains("found the end of the text"));
    CHECK_THAT(error_of("[1]", [](reader& r) { r.begin_object(); }), Contains("expected an object, found an array"));
    CHECK_THAT(error_of("1", [](reader& r) { r.read_string(); }), Contains("expected a string, found a number"));
}

TEST_CASE("json: duplicate keys are refused in every object, compared after decoding") {
    CHECK_THAT(error_skipping(R"({"a":1,"b":2,"a":3})"), Contains("the key \"a\" appears twice") &&
                                                           Contains("at byte 113:") && Contains("first at byte 101"));
    CHECK_THAT(error_skipping(R"([{"x":{"k":[],"k":{}}}])"), Contains("the key \"k\" appears twice"));
    CHECK_THAT(error_skipping(R"({"\u00e9":1,")" "\xC3\xA9" R"(":2})"), Contains("appears twice"));
    CHECK_THAT(error_skipping(R"({"b":1,"a":2,"b":3,"a":4})"), Contains("the key \"b\" appears twice"));  // the first repeat
    // The same key in sibling or nested objects is fine.
    reader r(R"({"a":{"a":1},"b":{"a":2},"c":[{"a":3},{"a":4}]})", "test");
    r.skip_value();
    CHECK_NOTHROW(r.finish());
}

TEST_CASE("json: nesting is bounded, without recursion") {
    const auto nested = [](std::size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); };
    const std::string deepest = nested(max_depth);
    reader ok(deepest, "test");
    ok.skip_value();
    CHECK_NOTHROW(ok.finish());
    CHECK_THAT(error_skipping(nested(max_depth + 1)), Contains("nest deeper than 64 levels") && Contains("at byte 164:"));
    CHECK_THAT(error_skipping(std::string(1'000'000, '[')), Contains("nest deeper"));
    std::string objects;
    for (int i = 0; i < 100000; ++i) objects += "{\"k\":";
    CHECK_THAT(error_skipping(objects), Contains("nest deeper"));
}

TEST_CASE("json: append_quoted writes what the reader reads back, escaping only what it must") {
    std::string all_ascii;
    for (int c = 0; c < 0x80; ++c) all_ascii += char(c);
    const std::string samples[] = {"", "plain", all_ascii, "\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\xF4\x8F\xBF\xBF",
                                   std::string("nul\0inside", 10)};
    for (const std::string& s : samples) {
        std::string quoted;
        append_quoted(quoted, s);
        CHECK(find_invalid_utf8(quoted) == std::string_view::npos);
        CHECK(decode(quoted) == s);
    }
    std::string quoted;
    append_quoted(quoted, "a\"b\\c\n\x01\xC3\xA9/");
    CHECK(quoted == "\"a\\\"b\\\\c\\n\\u0001\xC3\xA9/\"");
}

TEST_CASE("json: keys and values in messages are quoted, cut, and never raw bytes") {
    CHECK(quote_for_message("a\"b\n") == "\"a\\\"b\\n\"");
    CHECK(quote_for_message("bad \xFF") == "\"bad \\xFF\"");
    const std::string long_key(1000, 'k');
    const std::string quoted = quote_for_message(long_key);
    CHECK(quoted.size() < 150);
    CHECK_THAT(quoted, Contains("... (1000 bytes)"));
}
