// JSON for the safetensors header: a strict pull parser (RFC 8259) and string quoting for writers.
//
// The parser never builds a tree: the caller walks the document (begin_object / next_member,
// begin_array / next_element, read_string, read_uint64) and skips what it does not need
// (skip_value, which still checks everything). Strictness: UTF-8 is validated, escapes are
// decoded (\uXXXX surrogate pairs included, lone surrogates refused), duplicate keys in any object
// are refused, integers wanted as uint64 must fit exactly, nesting is limited to max_depth, and
// nothing but whitespace may follow the top-level value. Memory stays proportional to the text
// read: the keys of the objects still open, and the strings the caller asks for.
#pragma once

#include <algorithm>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "../../error.hpp"

namespace typenet::detail::json {

// Deeper documents are refused: a safetensors header needs 3 levels, and a bound keeps hostile
// input ("[[[[...") from costing more than a small, fixed stack of open containers.
inline constexpr std::size_t max_depth = 64;

// The length of the valid UTF-8 sequence that starts `text`, or 0 when none does. Overlong forms,
// UTF-16 surrogates (U+D800..U+DFFF), code points past U+10FFFF and cut sequences are invalid.
constexpr std::size_t utf8_sequence_length(std::string_view text) {
    if (text.empty()) return 0;
    const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
    const unsigned char lead = byte(0);
    if (lead < 0x80) return 1;
    std::size_t length = 0;
    unsigned char low = 0x80, high = 0xBF;  // the range allowed for the second byte
    if (lead >= 0xC2 && lead <= 0xDF) length = 2;
    else if (lead == 0xE0) length = 3, low = 0xA0;   // below: overlong
    else if (lead == 0xED) length = 3, high = 0x9F;  // above: surrogates
    else if (lead >= 0xE1 && lead <= 0xEF) length = 3;
    else if (lead == 0xF0) length = 4, low = 0x90;   // below: overlong
    else if (lead >= 0xF1 && lead <= 0xF3) length = 4;
    else if (lead == 0xF4) length = 4, high = 0x8F;  // above: past U+10FFFF
    else return 0;
    if (text.size() < length || byte(1) < low || byte(1) > high) return 0;
    for (std::size_t i = 2; i < length; ++i)
        if (byte(i) < 0x80 || byte(i) > 0xBF) return 0;
    return length;
}

// The offset of the first byte of `text` that is not part of valid UTF-8, or npos.
constexpr std::size_t find_invalid_utf8(std::string_view text) {
    std::size_t at = 0;
    while (at < text.size()) {
        const std::size_t length = utf8_sequence_length(text.substr(at));
        if (length == 0) return at;
        at += length;
    }
    return std::string_view::npos;
}

inline void append_utf8(std::string& out, std::uint32_t code_point) {
    if (code_point < 0x80) {
        out += char(code_point);
    } else if (code_point < 0x800) {
        out += char(0xC0 | (code_point >> 6));
        out += char(0x80 | (code_point & 0x3F));
    } else if (code_point < 0x10000) {
        out += char(0xE0 | (code_point >> 12));
        out += char(0x80 | ((code_point >> 6) & 0x3F));
        out += char(0x80 | (code_point & 0x3F));
    } else {
        out += char(0xF0 | (code_point >> 18));
        out += char(0x80 | ((code_point >> 12) & 0x3F));
        out += char(0x80 | ((code_point >> 6) & 0x3F));
        out += char(0x80 | (code_point & 0x3F));
    }
}

// Appends `text` as a JSON string literal. `text` must be valid UTF-8 (check with
// find_invalid_utf8): it is copied as is, only '"', '\\' and control characters are escaped.
inline void append_quoted(std::string& out, std::string_view text) {
    static constexpr char hex[] = "0123456789abcdef";
    out += '"';
    for (const char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\b': out += "\\b"; break;
            case '\f': out += "\\f"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default:
                if (byte < 0x20) {
                    out += "\\u00";
                    out += hex[byte >> 4];
                    out += hex[byte & 0xF];
                } else {
                    out += c;
                }
        }
    }
    out += '"';
}

// `text` quoted for an error message: escaped like JSON, bytes that are not UTF-8 as \xNN, and
// cut after about 100 bytes so that a hostile megabyte-long key cannot flood the message.
inline std::string quote_for_message(std::string_view text) {
    constexpr std::size_t limit = 100;
    std::string out = "\"";
    std::size_t at = 0;
    while (at < text.size() && out.size() < limit) {
        const std::size_t length = utf8_sequence_length(text.substr(at));
        if (length == 0) {
            static constexpr char hex[] = "0123456789ABCDEF";
            const auto byte = static_cast<unsigned char>(text[at]);
            out += "\\x";
            out += hex[byte >> 4];
            out += hex[byte & 0xF];
            at += 1;
        } else {
            std::string piece;
            append_quoted(piece, text.substr(at, length));
            out.append(piece, 1, piece.size() - 2);
            at += length;
        }
    }
    out += '"';
    if (at < text.size()) out += concat({"... (", std::to_string(text.size()), " bytes)"});
    return out;
}

enum class kind { object, array, string, number, boolean, null };

constexpr std::string_view describe(kind k) {
    switch (k) {
        case kind::object: return "an object";
        case kind::array: return "an array";
        case kind::string: return "a string";
        case kind::number: return "a number";
        case kind::boolean: return "true or false";
        case kind::null: return "null";
    }
    return "?";
}

// A pull parser over one JSON document. Errors throw format_error: the caller's prefix, the byte
// offset (the text's own offset plus `base_offset`, so that it can be a position in a file) and
// what is wrong.
class reader {
public:
    reader(std::string_view text, std::string error_prefix, std::size_t base_offset = 0)
        : text_(text), prefix_(std::move(error_prefix)), base_(base_offset) {}
    // The reader keeps a view of the text: a temporary string would die before it is read.
    template <class S>
        requires std::same_as<S, std::string>
    reader(S&&, std::string, std::size_t = 0) = delete;

    // The offset of the next byte to read, in the caller's terms (base_offset included).
    std::size_t offset() const { return base_ + pos_; }
    std::size_t depth() const { return levels_.size(); }

    // The kind of the next value, after skipping whitespace. Fails unless a value starts there.
    kind peek() {
        skip_whitespace();
        if (pos_ >= text_.size()) fail("expected a value, found the end of the text");
        switch (text_[pos_]) {
            case '{': return kind::object;
            case '[': return kind::array;
            case '"': return kind::string;
            case 't': case 'f': return kind::boolean;
            case 'n': return kind::null;
            default:
                if (text_[pos_] == '-' || is_digit(text_[pos_])) return kind::number;
                fail(concat({"expected a value, found ", found()}));
        }
    }

    void begin_object() { open(kind::object); }
    void begin_array() { open(kind::array); }

    // Moves to the next member of the innermost open object and reads its key; false, having
    // consumed the '}', when the object ends. Duplicate keys are refused when the object ends.
    bool next_member(std::string& key) {
        if (levels_.empty() || !levels_.back().is_object)
            throw error("typenet: json::reader::next_member outside an object");
        if (!next_item('}', "a member")) return false;
        if (pos_ >= text_.size() || text_[pos_] != '"') fail(concat({"expected a string key, found ", found()}));
        const std::size_t key_offset = pos_;
        key.clear();
        scan_string(&key);
        keys_.push_back({key_text_.size(), key.size(), key_offset});
        key_text_ += key;
        skip_whitespace();
        if (pos_ >= text_.size() || text_[pos_] != ':')
            fail(concat({"expected ':' after the key ", quote_for_message(key), ", found ", found()}));
        ++pos_;
        return true;
    }

    // Moves to the next element of the innermost open array; false, having consumed the ']',
    // when the array ends.
    bool next_element() {
        if (levels_.empty() || levels_.back().is_object)
            throw error("typenet: json::reader::next_element outside an array");
        return next_item(']', "an element");
    }

    std::string read_string() {
        if (peek() != kind::string) fail(concat({"expected a string, found ", describe(peek())}));
        std::string out;
        scan_string(&out);
        return out;
    }

    // A non-negative integer without fraction or exponent that fits in 64 bits, exactly.
    std::uint64_t read_uint64() {
        const kind k = peek();
        if (k != kind::number) fail(concat({"expected a non-negative integer, found ", describe(k)}));
        const std::size_t start = pos_;
        if (text_[pos_] == '-') fail("expected a non-negative integer, found a negative number");
        std::uint64_t value = 0;
        bool overflow = false;
        scan_integer_digits();
        for (std::size_t i = start; i < pos_; ++i) {
            const auto digit = std::uint64_t(text_[i] - '0');
            if (value > (UINT64_MAX - digit) / 10) overflow = true;
            value = value * 10 + digit;
        }
        if (pos_ < text_.size() && (text_[pos_] == '.' || text_[pos_] == 'e' || text_[pos_] == 'E')) {
            pos_ = start;
            fail("expected an integer, found a number with a fraction or an exponent");
        }
        if (overflow) {
            const std::string_view digits = text_.substr(start, pos_ - start);
            pos_ = start;
            fail(concat({"the integer ", digits.substr(0, 40), digits.size() > 40 ? "..." : "",
                         " is too large: the limit is 18446744073709551615 (2^64 - 1)"}));
        }
        return value;
    }

    // Reads and checks one value of any kind, and forgets it. Iterative: depth costs no stack.
    void skip_value() {
        const std::size_t outer_depth = levels_.size();
        std::string key;
        for (;;) {
            switch (peek()) {
                case kind::object: begin_object(); break;
                case kind::array: begin_array(); break;
                case kind::string: scan_string(nullptr); break;
                case kind::number: scan_number(); break;
                case kind::boolean: scan_literal(text_[pos_] == 't' ? "true" : "false"); break;
                case kind::null: scan_literal("null"); break;
            }
            // Close finished containers until one has another item to read, or the value is done.
            for (;;) {
                if (levels_.size() == outer_depth) return;
                const bool more = levels_.back().is_object ? next_member(key) : next_element();
                if (more) break;
            }
        }
    }

    // Checks that only whitespace follows the top-level value.
    void finish() {
        if (!levels_.empty()) throw error("typenet: json::reader::finish with containers still open");
        skip_whitespace();
        if (pos_ < text_.size())
            fail(concat({"unexpected ", found(), " after the end of the JSON value (only whitespace may follow)"}));
    }

    [[noreturn]] void fail(std::string_view what) const { fail_at(offset(), what); }
    [[noreturn]] void fail_at(std::size_t offset_with_base, std::string_view what) const {
        throw format_error(concat({prefix_, " at byte ", std::to_string(offset_with_base), ": ", what}));
    }

private:
    struct level {
        bool is_object;
        bool first = true;          // no item read yet
        std::size_t first_key = 0;  // this object's keys start here in keys_
    };
    struct key_record {
        std::size_t text_begin, text_size;  // in key_text_
        std::size_t offset;                 // of the key in the text
    };

    static constexpr bool is_digit(char c) { return c >= '0' && c <= '9'; }

    void skip_whitespace() {
        while (pos_ < text_.size() &&
               (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n' || text_[pos_] == '\r'))
            ++pos_;
    }

    // What is at the current position, for messages.
    std::string found() const {
        if (pos_ >= text_.size()) return "the end of the text";
        const auto byte = static_cast<unsigned char>(text_[pos_]);
        if (byte >= 0x21 && byte < 0x7F) return concat({"'", text_.substr(pos_, 1), "'"});
        static constexpr char hex[] = "0123456789ABCDEF";
        const char code[] = {'0', 'x', hex[byte >> 4], hex[byte & 0xF]};
        return concat({"byte ", std::string_view(code, 4)});
    }

    void open(kind k) {
        const kind actual = peek();
        if (actual != k) fail(concat({"expected ", describe(k), ", found ", describe(actual)}));
        if (levels_.size() >= max_depth)
            fail(concat({"arrays and objects nest deeper than ", std::to_string(max_depth), " levels"}));
        levels_.push_back({k == kind::object, true, keys_.size()});
        ++pos_;
    }

    // Consumes the separator before the next item, or the closing bracket (then closes the level).
    bool next_item(char close, std::string_view item) {
        level& top = levels_.back();
        skip_whitespace();
        if (pos_ < text_.size() && text_[pos_] == close) {
            ++pos_;
            close_level();
            return false;
        }
        if (!top.first) {
            if (pos_ >= text_.size() || text_[pos_] != ',')
                fail(concat({"expected ',' or '", std::string_view(&close, 1), "' after ", item, ", found ", found()}));
            ++pos_;
            skip_whitespace();
        }
        top.first = false;
        return true;
    }

    void close_level() {
        const level top = levels_.back();
        levels_.pop_back();
        if (!top.is_object) return;
        check_unique_keys(top.first_key);
        if (top.first_key < keys_.size()) {
            key_text_.resize(keys_[top.first_key].text_begin);
            keys_.resize(top.first_key);
        }
    }

    // Sorting the object's keys finds repeats in O(n log n) without a hash set of copies.
    void check_unique_keys(std::size_t first) {
        if (keys_.size() - first < 2) return;
        const auto text_of = [&](const key_record& k) {
            return std::string_view(key_text_).substr(k.text_begin, k.text_size);
        };
        const auto begin = keys_.begin() + std::ptrdiff_t(first);
        std::sort(begin, keys_.end(), [&](const key_record& a, const key_record& b) {
            const int order = text_of(a).compare(text_of(b));
            return order != 0 ? order < 0 : a.offset < b.offset;
        });
        const key_record* repeat = nullptr;  // the repeat that comes first in the text
        const key_record* original = nullptr;
        for (auto k = begin; k + 1 < keys_.end(); ++k) {
            if (text_of(*k) == text_of(*(k + 1)) && (!repeat || (k + 1)->offset < repeat->offset)) {
                repeat = &*(k + 1);
                original = &*k;
            }
        }
        if (repeat)
            fail_at(base_ + repeat->offset,
                    concat({"the key ", quote_for_message(text_of(*repeat)), " appears twice in one object (first at ",
                            "byte ", std::to_string(base_ + original->offset), "); keys must be unique"}));
    }

    // Reads a string starting at the current '"', decoding it into `out` unless that is null.
    void scan_string(std::string* out) {
        const std::size_t start = pos_++;
        for (;;) {
            if (pos_ >= text_.size())
                fail_at(base_ + start, "this string has no closing '\"' (the text ends inside it)");
            const auto byte = static_cast<unsigned char>(text_[pos_]);
            if (byte == '"') {
                ++pos_;
                return;
            }
            if (byte == '\\') {
                scan_escape(out);
            } else if (byte < 0x20) {
                fail(concat({"control character ", found(), " inside a string: JSON requires it escaped"}));
            } else {
                const std::size_t length = utf8_sequence_length(text_.substr(pos_));
                if (length == 0) fail(concat({"invalid UTF-8: ", found(), " does not start a valid sequence here"}));
                if (out) out->append(text_.substr(pos_, length));
                pos_ += length;
            }
        }
    }

    void scan_escape(std::string* out) {
        if (pos_ + 1 >= text_.size()) fail("the text ends inside an escape sequence");
        const char c = text_[pos_ + 1];
        char decoded = 0;
        switch (c) {
            case '"': decoded = '"'; break;
            case '\\': decoded = '\\'; break;
            case '/': decoded = '/'; break;
            case 'b': decoded = '\b'; break;
            case 'f': decoded = '\f'; break;
            case 'n': decoded = '\n'; break;
            case 'r': decoded = '\r'; break;
            case 't': decoded = '\t'; break;
            case 'u': {
                const std::size_t start = pos_;
                std::uint32_t code_point = read_hex4();
                if (code_point >= 0xDC00 && code_point <= 0xDFFF)
                    fail_at(base_ + start, "lone low surrogate escape (\\uDC00-\\uDFFF, no high surrogate before it)");
                if (code_point >= 0xD800 && code_point <= 0xDBFF) {
                    constexpr std::string_view lone_high =
                        "lone high surrogate escape: \\uD800-\\uDBFF must be followed by a \\uDC00-\\uDFFF escape";
                    if (text_.substr(pos_, 2) != "\\u") fail_at(base_ + start, lone_high);
                    const std::uint32_t low = read_hex4();
                    if (low < 0xDC00 || low > 0xDFFF) fail_at(base_ + start, lone_high);
                    code_point = 0x10000 + ((code_point - 0xD800) << 10) + (low - 0xDC00);
                }
                if (out) append_utf8(*out, code_point);
                return;
            }
            default:
                ++pos_;
                fail(concat({"invalid escape sequence: a backslash followed by ", found(),
                             " (JSON escapes are \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)"}));
        }
        if (out) *out += decoded;
        pos_ += 2;
    }

    // Reads "\uXXXX" at the current position.
    std::uint32_t read_hex4() {
        pos_ += 2;
        std::uint32_t value = 0;
        for (int i = 0; i < 4; ++i, ++pos_) {
            if (pos_ >= text_.size()) fail("the text ends inside a \\u escape");
            const char c = text_[pos_];
            std::uint32_t digit;
            if (c >= '0' && c <= '9') digit = std::uint32_t(c - '0');
            else if (c >= 'a' && c <= 'f') digit = std::uint32_t(c - 'a' + 10);
            else if (c >= 'A' && c <= 'F') digit = std::uint32_t(c - 'A' + 10);
            else fail(concat({"\\u must be followed by four hexadecimal digits, found ", found()}));
            value = value * 16 + digit;
        }
        return value;
    }

    // 0 | [1-9][0-9]*, at the current position.
    void scan_integer_digits() {
        if (pos_ >= text_.size() || !is_digit(text_[pos_])) fail(concat({"expected a digit, found ", found()}));
        if (text_[pos_] == '0' && pos_ + 1 < text_.size() && is_digit(text_[pos_ + 1])) {
            ++pos_;
            fail("a number may not have leading zeros");
        }
        while (pos_ < text_.size() && is_digit(text_[pos_])) ++pos_;
    }

    void scan_digits_after(std::string_view what) {
        if (pos_ >= text_.size() || !is_digit(text_[pos_]))
            fail(concat({"expected a digit after ", what, ", found ", found()}));
        while (pos_ < text_.size() && is_digit(text_[pos_])) ++pos_;
    }

    // -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
    void scan_number() {
        if (text_[pos_] == '-') ++pos_;
        scan_integer_digits();
        if (pos_ < text_.size() && text_[pos_] == '.') {
            ++pos_;
            scan_digits_after("the decimal point");
        }
        if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
            ++pos_;
            if (pos_ < text_.size() && (text_[pos_] == '+' || text_[pos_] == '-')) ++pos_;
            scan_digits_after("the exponent's 'e'");
        }
    }

    void scan_literal(std::string_view literal) {
        if (text_.substr(pos_, literal.size()) != literal)
            fail(concat({"invalid literal: expected ", literal}));
        pos_ += literal.size();
    }

    std::string_view text_;
    std::string prefix_;
    std::size_t base_;
    std::size_t pos_ = 0;
    std::vector<level> levels_;
    std::vector<key_record> keys_;  // the keys of the open objects, innermost last
    std::string key_text_;          // their decoded text, back to back
};

}  // namespace typenet::detail::json
