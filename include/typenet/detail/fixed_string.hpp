// A string usable as a template argument: Named<"features", ...>, Dropout<"0.3">.
#pragma once

#include <cstddef>
#include <string_view>

namespace typenet::detail {

template <std::size_t N>
struct fixed_string {
    char chars[N + 1] = {};

    constexpr fixed_string() = default;
    constexpr fixed_string(const char (&text)[N + 1]) {
        for (std::size_t i = 0; i <= N; ++i) chars[i] = text[i];
    }
    static constexpr std::size_t size() { return N; }
    constexpr std::string_view view() const { return {chars, N}; }
    constexpr operator std::string_view() const { return view(); }
};

template <std::size_t M>
fixed_string(const char (&)[M]) -> fixed_string<M - 1>;

}  // namespace typenet::detail
