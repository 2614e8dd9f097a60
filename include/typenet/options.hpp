// Keyword options of layers, spelled like PyTorch's keyword arguments:
//
//     using A = Conv2d<3, 64, 3, stride<2>, padding<1>, bias<false>>;  // nn.Conv2d(3, 64, 3, stride=2, padding=1, bias=False)
//     using B = Conv2d<3, 64, size2{3, 5}, padding<1, 2>>;         // kernel_size=(3, 5), padding=(1, 2)
//     using C = MaxPool2d<3, stride<2>, ceil_mode<true>>;          // nn.MaxPool2d(3, stride=2, ceil_mode=True)
//     using D = BatchNorm2d<64, eps<"1e-3">, momentum<"0.01">>;    // floats are written as strings (Clang 14
//                                                                  // has no floating-point template arguments)
//
// Options may come in any order; each layer states which ones it takes and rejects the others.
#pragma once

#include <cstddef>
#include <string_view>
#include <type_traits>

#include <boost/hana/at.hpp>
#include <boost/hana/tuple.hpp>

#include "detail/decimal.hpp"
#include "detail/fixed_string.hpp"

namespace typenet {

// A string as a template argument (Named<"features", ...>, Dropout<"0.3">), for users' own layers too.
using detail::fixed_string;

// The value of a decimal number written as a string, checked at compile time: how a layer takes a
// float hyper-parameter (Clang 14 has no floating-point template arguments).
//
//     template <typenet::fixed_string Slope = "0.01">
//     struct MyLeakyReLU { static constexpr double negative_slope = typenet::decimal_value<Slope>; /* ... */ };
template <fixed_string Text>
inline constexpr double decimal_value = [] {
    constexpr detail::decimal parsed = detail::parse_decimal(Text.view());
    static_assert(parsed.valid, "typenet::decimal_value: write a decimal number such as \"1e-5\", \"0.1\" or \"2\"");
    return parsed.value;
}();

namespace option_kind {
struct stride {};
struct padding {};
struct dilation {};
struct groups {};
struct bias {};
struct ceil_mode {};
struct count_include_pad {};
struct divisor_override {};
struct eps {};
struct momentum {};
struct affine {};
struct track_running_stats {};
struct dim {};
struct num_layers {};
struct bidirectional {};
struct batch_first {};
struct proj_size {};
struct nonlinearity {};
struct returns {};
struct dropout {};
struct key_padding_mask {};
}  // namespace option_kind

// A pair of sizes (height, width), PyTorch's _size_2_t. kernel<3> is 3x3, kernel<3, 5> is 3x5.
template <std::size_t H, std::size_t W = H>
struct kernel {
    static constexpr std::size_t h = H, w = W;
};

template <class Kind, std::size_t H, std::size_t W>
struct size2_option {
    using option_kind = Kind;
    static constexpr std::size_t h = H, w = W;
};
template <std::size_t H, std::size_t W = H> struct stride : size2_option<option_kind::stride, H, W> {};
template <std::size_t H, std::size_t W = H> struct padding : size2_option<option_kind::padding, H, W> {};
template <std::size_t H, std::size_t W = H> struct dilation : size2_option<option_kind::dilation, H, W> {};

template <class Kind, auto V>
struct value_option {
    using option_kind = Kind;
    static constexpr auto value = V;
};
template <std::size_t G> struct groups : value_option<option_kind::groups, G> {};
template <bool B> struct bias : value_option<option_kind::bias, B> {};
template <bool B> struct ceil_mode : value_option<option_kind::ceil_mode, B> {};
template <bool B> struct count_include_pad : value_option<option_kind::count_include_pad, B> {};
template <std::size_t D> struct divisor_override : value_option<option_kind::divisor_override, D> {};
template <bool B> struct affine : value_option<option_kind::affine, B> {};
template <bool B> struct track_running_stats : value_option<option_kind::track_running_stats, B> {};
// A dimension as PyTorch counts it: the batch is 0, negative dimensions count from the back.
template <int D> struct dim : value_option<option_kind::dim, D> {};

template <class Kind, detail::fixed_string Text>
struct decimal_option {
    using option_kind = Kind;
    static constexpr detail::decimal parsed = detail::parse_decimal(Text.view());
    static_assert(parsed.valid, "typenet: write a decimal number such as \"1e-5\" or \"0.1\"");
    static constexpr double value = parsed.value;
    static constexpr std::string_view text = Text.view();
};
template <detail::fixed_string E> struct eps : decimal_option<option_kind::eps, E> {};
// momentum<"None"> is PyTorch's momentum=None: BatchNorm's running statistics become the cumulative
// average of every batch's (value is then 0, unused).
template <detail::fixed_string M>
struct momentum {
    using option_kind = typenet::option_kind::momentum;
    static constexpr bool cumulative = M.view() == "None";
    static constexpr detail::decimal parsed = cumulative ? detail::decimal{true, 0} : detail::parse_decimal(M.view());
    static_assert(parsed.valid, "typenet: momentum is a decimal number such as \"0.1\", or \"None\" as in PyTorch");
    static constexpr double value = parsed.value;
    static constexpr std::string_view text = M.view();
};

// Keyword arguments of nn.RNN, nn.LSTM and nn.GRU (batch_first and dropout also of
// nn.MultiheadAttention and nn.TransformerEncoderLayer).
template <std::size_t N> struct num_layers : value_option<option_kind::num_layers, N> {};
template <bool B> struct bidirectional : value_option<option_kind::bidirectional, B> {};
// batch_first changes only how PyTorch lays out a batch; a typenet sample has no batch dimension
// ([T, features] for a recurrent layer), so the option is accepted (to mirror the PyTorch
// declaration) and changes nothing.
template <bool B> struct batch_first : value_option<option_kind::batch_first, B> {};
template <std::size_t P> struct proj_size : value_option<option_kind::proj_size, P> {};
// Dropout inside a layer (between stacked recurrent layers, in a Transformer layer): PyTorch applies
// it in training only, so inference ignores it.
template <detail::fixed_string P> struct dropout : decimal_option<option_kind::dropout, P> {};
// key_padding_mask<true>: the layer takes, per forward call, which positions of each sample's
// sequence are padding (PyTorch's key_padding_mask, True = padding); the Model then takes the mask
// beside the input (model.hpp). MultiheadAttention, TransformerEncoderLayer, TransformerEncoder and
// Mean accept it.
template <bool B> struct key_padding_mask : value_option<option_kind::key_padding_mask, B> {};
// RNN's nonlinearity: "tanh" (PyTorch's default) or "relu".
template <detail::fixed_string Name>
struct nonlinearity {
    using option_kind = typenet::option_kind::nonlinearity;
    static constexpr std::string_view value = Name.view();
};
// What a recurrent layer returns: "output" (the default: the output sequence, PyTorch's `output`),
// "h_n" (the final hidden state of every layer and direction) or "c_n" (LSTM: the final cell state).
template <detail::fixed_string What>
struct returns {
    using option_kind = typenet::option_kind::returns;
    static constexpr std::string_view value = What.view();
};

namespace detail {

template <class O>
concept option = requires { typename O::option_kind; };

template <class O>
struct option_kind_of { using type = void; };
template <option O>
struct option_kind_of<O> { using type = typename O::option_kind; };

// The option of kind Kind among Options, or Default when the user did not give one.
template <class Kind, class Default, class... Options>
constexpr auto find_option() {
    constexpr std::size_t index = [] {
        constexpr bool matches[] = {std::is_same_v<typename option_kind_of<Options>::type, Kind>..., true};
        std::size_t i = 0;
        while (!matches[i]) ++i;
        return i;  // sizeof...(Options) when none matches
    }();
    if constexpr (index == sizeof...(Options))
        return std::type_identity<Default>{};
    else
        return std::type_identity<typename decltype(+boost::hana::at_c<index>(boost::hana::tuple_t<Options...>))::type>{};
}

}  // namespace detail

template <class Kind, class Default, class... Options>
using option_t = typename decltype(detail::find_option<Kind, Default, Options...>())::type;

namespace detail {
template <class Kind, class... Accepted>
inline constexpr bool is_one_of = (std::is_same_v<Kind, Accepted> || ...);
template <class Kind, class... Options>
inline constexpr std::size_t count_of_kind = (std::is_same_v<typename option_kind_of<Options>::type, Kind> + ... + 0);
template <class Accepted, class... Options>
inline constexpr bool options_accepted = false;
template <class... Accepted, class... Options>
inline constexpr bool options_accepted<void(Accepted...), Options...> =
    (option<Options> && ...) && (is_one_of<typename option_kind_of<Options>::type, Accepted...> && ...) &&
    ((count_of_kind<typename option_kind_of<Options>::type, Options...> == 1) && ...);
}  // namespace detail

// True when every one of Options is of a kind listed in Accepted (a function type such as
// void(option_kind::stride, option_kind::padding)) and no kind is given twice.
template <class Accepted, class... Options>
inline constexpr bool options_accepted = detail::options_accepted<Accepted, Options...>;

}  // namespace typenet
