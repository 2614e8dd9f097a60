// Compile-time shape errors. A model whose layers do not fit does not compile; the diagnostic's
// first lines name the layer by its state_dict path and show both sizes. For the seed's model
// with Linear<2000, 256> where 128*4*4 = 2048 values arrive, GCC 12 prints
//
//   shape_error.hpp: In instantiation of 'struct typenet::shape_error::report<
//   typenet::shape_error::rule::in_features,
//   typenet::shape_error::layer<typenet::detail::fixed_string<12>{"classifier.1"}>, 2000, 2048>':
//   ...
//   error: static assertion failed: Linear: in_features (first number) must equal the size of ...
//
// and Clang 14 prints, on its first line,
//
//   error: static_assert failed due to requirement 'in_features_equals_input_size<
//   typenet::shape_error::layer<'c', 'l', 'a', 's', 's', 'i', 'f', 'i', 'e', 'r', '.', '1'>,
//   2000UL, 2048UL>' "Linear: in_features (first number) must equal ..."
//
// (Clang 14 prints a string template argument as numbers, so there the path is a list of chars.)
#pragma once

#include <cstddef>
#include <type_traits>
#include <utility>

#include "detail/fixed_string.hpp"

namespace typenet::shape_error {

// What a layer's shape rule can find wrong; `expected` and `actual` are the two sizes reported.
enum class rule : unsigned char {
    none,
    input_rank,          // expected: rank the layer takes, actual: rank of its input
    in_features,         // Linear: in_features, size of the input's last dimension
    in_channels,         // Conv2d: in_channels, channels of the input
    num_features,        // BatchNorm: num_features, channels of the input
    kernel_height,       // Conv2d, pooling: kernel height (dilation included), padded input height
    kernel_width,        // same for the width
    groups_in_channels,  // Conv2d: groups, in_channels
    groups_out_channels, // Conv2d: groups, out_channels
    padding_height,      // pooling: padding, half of the kernel height (without dilation)
    padding_width,       // same for the width
    flatten_start_dim,   // Flatten: start_dim (negative ones counted from the back), rank with the batch dim
    flatten_end_dim,     // Flatten: end_dim (likewise), rank with the batch dim
    flatten_dim_order,   // Flatten: start_dim, end_dim
    // Rules of combinators, on two shapes:
    operand_shapes,      // Add, Mul: two operands' shapes, which must be equal or broadcast
    concat_shapes,       // Cat: two operands' shapes, which must agree but in the concatenated dimension
    custom,              // any other rule: a layer's own message (fail("...", expected, actual))
};

// The layer path as a type: readable in GCC, a list of characters in Clang.
#if defined(__clang__)
template <char... Path>
struct layer {};
#else
template <detail::fixed_string Path>
struct layer {};
#endif

// One predicate per rule, so that Clang's first line says which rule failed.
template <class Layer, std::size_t Expected, std::size_t Actual>
inline constexpr bool input_rank_matches = Expected == Actual;
template <class Layer, std::size_t InFeatures, std::size_t InputSize>
inline constexpr bool in_features_equals_input_size = InFeatures == InputSize;
template <class Layer, std::size_t InChannels, std::size_t InputChannels>
inline constexpr bool in_channels_equals_input_channels = InChannels == InputChannels;
template <class Layer, std::size_t NumFeatures, std::size_t InputChannels>
inline constexpr bool num_features_equals_input_channels = NumFeatures == InputChannels;
template <class Layer, std::size_t Kernel, std::size_t PaddedInput>
inline constexpr bool kernel_height_fits_padded_input = Kernel <= PaddedInput;
template <class Layer, std::size_t Kernel, std::size_t PaddedInput>
inline constexpr bool kernel_width_fits_padded_input = Kernel <= PaddedInput;
template <class Layer, std::size_t Groups, std::size_t InChannels>
inline constexpr bool groups_divides_in_channels = InChannels % Groups == 0;
template <class Layer, std::size_t Groups, std::size_t OutChannels>
inline constexpr bool groups_divides_out_channels = OutChannels % Groups == 0;
template <class Layer, std::size_t Padding, std::size_t HalfKernel>
inline constexpr bool padding_height_at_most_half_kernel = Padding <= HalfKernel;
template <class Layer, std::size_t Padding, std::size_t HalfKernel>
inline constexpr bool padding_width_at_most_half_kernel = Padding <= HalfKernel;
template <class Layer, std::size_t StartDim, std::size_t Rank>
inline constexpr bool flatten_start_dim_in_range = 1 <= StartDim && StartDim < Rank;
template <class Layer, std::size_t EndDim, std::size_t Rank>
inline constexpr bool flatten_end_dim_in_range = 1 <= EndDim && EndDim < Rank;
template <class Layer, std::size_t StartDim, std::size_t EndDim>
inline constexpr bool flatten_start_dim_not_after_end_dim = StartDim <= EndDim;

template <rule Rule, class Layer, std::size_t Expected, std::size_t Actual>
struct report {};  // rule::none: nothing to report

template <class L, std::size_t E, std::size_t A>
struct report<rule::input_rank, L, E, A> {
    static_assert(input_rank_matches<L, E, A>,
                  "this layer takes a per-sample input of another rank (first number: the rank it takes, "
                  "second: the rank it gets; the batch dimension is not counted). Conv2d and the 2d pools take "
                  "[C, H, W], BatchNorm1d [C] or [C, L], BatchNorm2d [C, H, W].");
};
template <class L, std::size_t E, std::size_t A>
struct report<rule::in_features, L, E, A> {
    static_assert(in_features_equals_input_size<L, E, A>,
                  "Linear: in_features (first number) must equal the size of the input's last dimension (second "
                  "number). Change in_features, or put a Flatten before the layer if its input is an image.");
};
template <class L, std::size_t E, std::size_t A>
struct report<rule::in_channels, L, E, A> {
    static_assert(in_channels_equals_input_channels<L, E, A>,
                  "Conv2d: in_channels (first number) must equal the channels of its input (second number), "
                  "i.e. the out_channels of the convolution before it.");
};
template <class L, std::size_t E, std::size_t A>
struct report<rule::num_features, L, E, A> {
    static_assert(num_features_equals_input_channels<L, E, A>,
                  "BatchNorm: num_features (first number) must equal the channels of its input (second number).");
};
template <class L, std::size_t E, std::size_t A>
struct report<rule::kernel_height, L, E, A> {
    static_assert(kernel_height_fits_padded_input<L, E, A>,
                  "the kernel's height (first number, dilation included) is larger than the height of the padded "
                  "input (second number), so the output would be empty. Use a smaller kernel or dilation, more "
                  "padding, or a larger input.");
};
template <class L, std::size_t E, std::size_t A>
struct report<rule::kernel_width, L, E, A> {
    static_assert(kernel_width_fits_padded_input<L, E, A>,
                  "the kernel's width (first number, dilation included) is larger than the width of the padded "
                  "input (second number), so the output would be empty. Use a smaller kernel or dilation, more "
                  "padding, or a larger input.");
};
template <class L, std::size_t E, std::size_t A>
struct report<rule::groups_in_channels, L, E, A> {
    static_assert(groups_divides_in_channels<L, E, A>,
                  "Conv2d: in_channels (second number) must be divisible by groups (first number).");
};
template <class L, std::size_t E, std::size_t A>
struct report<rule::groups_out_channels, L, E, A> {
    static_assert(groups_divides_out_channels<L, E, A>,
                  "Conv2d: out_channels (second number) must be divisible by groups (first number).");
};
template <class L, std::size_t E, std::size_t A>
struct report<rule::padding_height, L, E, A> {
    static_assert(padding_height_at_most_half_kernel<L, E, A>,
                  "pooling: the height padding (first number) must be at most half of the kernel height, "
                  "dilation not counted (second number), as in PyTorch.");
};
template <class L, std::size_t E, std::size_t A>
struct report<rule::padding_width, L, E, A> {
    static_assert(padding_width_at_most_half_kernel<L, E, A>,
                  "pooling: the width padding (first number) must be at most half of the kernel width, "
                  "dilation not counted (second number), as in PyTorch.");
};
template <class L, std::size_t E, std::size_t A>
struct report<rule::flatten_start_dim, L, E, A> {
    static_assert(flatten_start_dim_in_range<L, E, A>,
                  "Flatten: start_dim (first number; dimensions count the batch as 0, negative ones count from the "
                  "back) must lie between 1 and the input's rank with the batch dimension (second number), excluded.");
};
template <class L, std::size_t E, std::size_t A>
struct report<rule::flatten_end_dim, L, E, A> {
    static_assert(flatten_end_dim_in_range<L, E, A>,
                  "Flatten: end_dim (first number; dimensions count the batch as 0, negative ones count from the "
                  "back) must lie between 1 and the input's rank with the batch dimension (second number), excluded.");
};
template <class L, std::size_t E, std::size_t A>
struct report<rule::flatten_dim_order, L, E, A> {
    static_assert(flatten_start_dim_not_after_end_dim<L, E, A>,
                  "Flatten: start_dim (first number) comes after end_dim (second number).");
};

// Shapes as template arguments: dims<64, 28, 28>.
template <std::size_t... Dims>
struct dims {};

// A layer's own message as a type: readable in GCC, a list of characters in Clang.
#if defined(__clang__)
template <char... Text>
struct message {};
#else
template <detail::fixed_string Text>
struct message {};
#endif

template <class Layer, class Expected, class Actual>
inline constexpr bool operand_shapes_broadcast = false;  // only instantiated when they do not
template <class Layer, class Expected, class Actual>
inline constexpr bool concat_shapes_agree = false;
template <class Message, class Layer, class Expected, class Actual>
inline constexpr bool shape_rule_holds = false;

template <rule Rule, class Layer, class Expected, class Actual>
struct shapes_report {};
template <class L, class E, class A>
struct shapes_report<rule::operand_shapes, L, E, A> {
    static_assert(operand_shapes_broadcast<L, E, A>,
                  "Add/Mul: the shapes of two operands (first and second dims<...>) differ and do not broadcast "
                  "(each dimension must be equal, or 1 in one of them). For a residual block whose body changes "
                  "the shape, give the shortcut a module (a strided 1x1 Conv2d, as torchvision's downsample).");
};
template <class L, class E, class A>
struct shapes_report<rule::concat_shapes, L, E, A> {
    static_assert(concat_shapes_agree<L, E, A>,
                  "Cat: two operands (first and second dims<...>) must have the same rank and the same sizes in "
                  "every dimension but the one they are concatenated along.");
};

// A rule with the layer's own words: the message, the path and the two sizes (dims<n>) or shapes.
template <class Message, class Layer, class Expected, class Actual>
struct custom_report {
    static_assert(shape_rule_holds<Message, Layer, Expected, Actual>,
                  "a shape rule failed: its message, the module's path and the two sizes (or shapes) are the "
                  "template arguments shown above");
};

namespace detail {

// The `layer` type for a path held in a constexpr character array.
template <const auto& Chars, std::size_t Length>
constexpr auto layer_type() {
#if defined(__clang__)
    return [&]<std::size_t... I>(std::index_sequence<I...>) {
        return std::type_identity<layer<Chars[I]...>>{};
    }(std::make_index_sequence<Length>{});
#else
    return std::type_identity<layer<[] {
        typenet::detail::fixed_string<Length> path;
        for (std::size_t i = 0; i < Length; ++i) path.chars[i] = Chars[i];
        return path;
    }()>>{};
#endif
}

// The `message` type for a text held in a constexpr character array.
template <const auto& Chars, std::size_t Length>
constexpr auto message_type() {
#if defined(__clang__)
    return [&]<std::size_t... I>(std::index_sequence<I...>) {
        return std::type_identity<message<Chars[I]...>>{};
    }(std::make_index_sequence<Length>{});
#else
    return std::type_identity<message<[] {
        typenet::detail::fixed_string<Length> text;
        for (std::size_t i = 0; i < Length; ++i) text.chars[i] = Chars[i];
        return text;
    }()>>{};
#endif
}

template <const auto& Dims, std::size_t Rank>
constexpr auto dims_type() {
    return [&]<std::size_t... I>(std::index_sequence<I...>) {
        return std::type_identity<dims<Dims[I]...>>{};
    }(std::make_index_sequence<Rank>{});
}

// The report for the first failed rule of an analysis (detail/analysis.hpp): instantiating it
// fails to compile with the message that rule calls for.
template <class Analysis>
constexpr auto report_type() {
    constexpr auto& error = Analysis::counts.error;
    using where = typename decltype(layer_type<Analysis::error_path, Analysis::error_path.size()>())::type;
    if constexpr (error.compares_shapes || error.rule == rule::custom) {
        using expected = typename decltype(dims_type<Analysis::error_expected, Analysis::error_expected.size()>())::type;
        using actual = typename decltype(dims_type<Analysis::error_actual, Analysis::error_actual.size()>())::type;
        if constexpr (error.rule == rule::custom) {
            using text = typename decltype(message_type<Analysis::error_message, Analysis::error_message.size()>())::type;
            return std::type_identity<custom_report<text, where, expected, actual>>{};
        } else {
            return std::type_identity<shapes_report<error.rule, where, expected, actual>>{};
        }
    } else {
        return std::type_identity<report<error.rule, where, error.expected, error.actual>>{};
    }
}

}  // namespace detail

}  // namespace typenet::shape_error
