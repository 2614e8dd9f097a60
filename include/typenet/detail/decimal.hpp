// Decimal numbers written as strings in template arguments: Dropout<"0.3">, eps<"1e-3">.
// Clang 14 has no floating-point template parameters, so hyper-parameters that PyTorch takes
// as floats are spelled exactly as in the Python source and parsed here at compile time.
#pragma once

#include <string_view>

namespace typenet::detail {

struct decimal {
    bool valid = false;
    double value = 0;
};

// Accepts [+-][digits][.digits][e[+-]digits], at least one digit before the exponent. The result
// is exact when the digits fit in 2^53 and the power of ten is at most 22 (Clinger's fast path,
// which covers every hyper-parameter one writes by hand); otherwise within a few ulps.
constexpr decimal parse_decimal(std::string_view text) {
    decimal result;
    std::size_t i = 0;
    unsigned long long mantissa = 0;
    int exponent = 0, digits = 0;
    bool overflow = false;
    auto is_digit = [](char c) { return c >= '0' && c <= '9'; };
    bool negative_value = false;
    if (i < text.size() && (text[i] == '+' || text[i] == '-')) negative_value = text[i++] == '-';
    for (; i < text.size() && is_digit(text[i]); ++i, ++digits) {
        if (mantissa < 100000000000000000ULL) mantissa = mantissa * 10 + unsigned(text[i] - '0');
        else { ++exponent; overflow = true; }
    }
    if (i < text.size() && text[i] == '.') {
        for (++i; i < text.size() && is_digit(text[i]); ++i, ++digits) {
            if (mantissa < 100000000000000000ULL) { mantissa = mantissa * 10 + unsigned(text[i] - '0'); --exponent; }
            else overflow = true;
        }
    }
    if (digits == 0) return result;
    if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
        ++i;
        bool negative = false;
        if (i < text.size() && (text[i] == '+' || text[i] == '-')) negative = text[i++] == '-';
        int e = 0, e_digits = 0;
        for (; i < text.size() && is_digit(text[i]); ++i, ++e_digits)
            if (e < 10000) e = e * 10 + (text[i] - '0');
        if (e_digits == 0) return result;
        exponent += negative ? -e : e;
    }
    if (i != text.size()) return result;
    (void)overflow;
    double value = static_cast<double>(mantissa);
    double power = 1;
    for (int k = 0; k < (exponent < 0 ? -exponent : exponent); ++k) power *= 10;
    result.value = exponent < 0 ? value / power : value * power;
    if (negative_value) result.value = -result.value;
    result.valid = true;
    return result;
}

}  // namespace typenet::detail
