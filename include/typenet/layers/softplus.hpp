// Softplus: log(1 + e^(beta x)) / beta, and x itself where beta x > threshold, like
// nn.Softplus(beta=1, threshold=20). Its two keyword options are defined here:
//
//     using A = typenet::Softplus<>;                                             // nn.Softplus()
//     using B = typenet::Softplus<typenet::beta<"2">, typenet::threshold<"10">>;  // nn.Softplus(beta=2, threshold=10)
//     static_assert(B::beta == 2 && B::threshold == 10 && A::beta == 1 && A::threshold == 20);
#pragma once

#include <string_view>

#include "../elementwise.hpp"
#include "../options.hpp"

namespace typenet {

namespace option_kind {
struct beta {};
struct threshold {};
}  // namespace option_kind

template <fixed_string B> struct beta : decimal_option<option_kind::beta, B> {};
template <fixed_string T> struct threshold : decimal_option<option_kind::threshold, T> {};

template <class... Options>
struct Softplus : Elementwise<Softplus<Options...>> {
    static_assert(options_accepted<void(option_kind::beta, option_kind::threshold), Options...>,
                  "Softplus takes the options beta<> and threshold<>, each at most once");
    static constexpr std::string_view type_name = "Softplus";
    static constexpr double beta = option_t<option_kind::beta, typenet::beta<"1">, Options...>::value;
    static constexpr double threshold = option_t<option_kind::threshold, typenet::threshold<"20">, Options...>::value;

    template <class V>
    [[gnu::always_inline]] static V apply(V x) {
        // PyTorch's formula: (x * beta) > threshold ? x : log1p(exp(x * beta)) / beta.
        const V scaled = x * math::splat<V>(beta);
        return math::select(scaled > math::splat<V>(threshold), x,
                            math::log1p(math::exp(scaled)) / math::splat<V>(beta));
    }
    // 1 where x beta > threshold, else z / (z + 1), z = e^(x beta), as PyTorch's softplus_backward.
    template <class V>
    [[gnu::always_inline]] static V derivative(V x, V) {
        const V scaled = x * math::splat<V>(beta), z = math::exp(scaled);
        return math::select(scaled > math::splat<V>(threshold), math::splat<V>(1), z / (z + math::splat<V>(1)));
    }
};

}  // namespace typenet
