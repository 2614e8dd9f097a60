// argmax, softmax and topk over the last dimension, to read a model's output: one row of scores
// (a rank-1 Tensor, a std::array, a fixed-size std::span) or a batch of rows (a Tensor of rank 2
// or more: one result per row). Like torch.argmax(x, dim=-1), torch.softmax(x, dim=-1) and
// torch.topk(x, k) (largest first, along the last dimension). Sizes are compile-time constants;
// nothing allocates.
//
//     auto logits = typenet::Tensor<float, 2, 3>::from({0.5f, 2.0f, -1.0f,  3.0f, 0.0f, 1.0f});
//     typenet::Tensor<std::size_t, 2> classes = typenet::argmax(logits);  // {1, 0}
//     typenet::Tensor<float, 2, 3> probabilities = typenet::softmax(logits);  // rows sum to 1
//     auto [scores, indices] = typenet::topk<2>(logits);  // Tensor<float, 2, 2>: {2, 0.5}, {3, 1};
//                                                         // Tensor<std::size_t, 2, 2>: {1, 0}, {0, 2}
//     std::array<float, 3> row{0.5f, 2.0f, -1.0f};
//     std::size_t best = typenet::argmax(row);           // 1; a std::vector or std::span works too
//
// NaN counts as the largest value, as in PyTorch. Equal values: argmax returns the first, as
// PyTorch does; topk lists them by increasing index, where PyTorch does not specify an order (its
// CPU kernel returns [2, 4, 1] for the top 3 of [1, 3, 3, 2, 3]; typenet returns [1, 2, 4]).
// topk takes O(n k) time, made for a few of a row's entries. Indices are std::size_t (torch: int64).
#pragma once

#include <array>
#include <cstddef>
#include <span>
#include <type_traits>

#include "error.hpp"
#include "layers/softmax.hpp"
#include "shape.hpp"
#include "tensor.hpp"

namespace typenet {

template <class Values, class Indices>
struct topk_result {
    Values values;    // largest first
    Indices indices;  // where each value is in its row
};

namespace detail {

// What std::span makes of R: its element type and extent (std::dynamic_extent for a std::vector).
template <class R>
using span_of = decltype(std::span(std::declval<const R&>()));
template <class R>
concept scores_range = !is_tensor<R> && requires(const R& r) { std::span(r); };
template <class R>
concept fixed_scores = scores_range<R> && span_of<R>::extent != std::dynamic_extent;

// "a is listed before b": larger, NaN above everything (torch's order for topk and argmax).
template <class T>
constexpr bool ranks_before(T a, T b) {
    const bool a_nan = a != a, b_nan = b != b;  // std::isnan is not constexpr in C++20
    return (a_nan && !b_nan) || a > b;
}

template <class T>
constexpr std::size_t argmax_row(const T* x, std::size_t n) {
    std::size_t best = 0;
    for (std::size_t i = 1; i < n; ++i)
        if (ranks_before(x[i], x[best])) best = i;
    return best;
}

// Keeps the K best so far in order; a value enters only by beating one of them, so equal values
// keep their index order.
template <std::size_t K, class T>
constexpr void topk_row(const T* x, std::size_t n, T* values, std::size_t* indices) {
    std::size_t filled = 0;
    for (std::size_t i = 0; i < n; ++i) {
        if (filled == K && !ranks_before(x[i], values[K - 1])) continue;
        std::size_t j = filled < K ? filled++ : K - 1;
        for (; j > 0 && ranks_before(x[i], values[j - 1]); --j) {
            values[j] = values[j - 1];
            indices[j] = indices[j - 1];
        }
        values[j] = x[i];
        indices[j] = i;
    }
}

// Rows of Length values, through the Softmax layer's own kernel (in may equal out).
template <class T, std::size_t Length, std::size_t Rows>
void softmax_rows(const T* in, T* out) {
    static_assert(std::is_floating_point_v<T>, "typenet::softmax: the scores must be float or double");
    Softmax<-1>::template propagate<T, shape{Length}, Rows>(layer_params<Softmax<-1>, T>{nullptr}, in, out);
}

// The shape of a Tensor's rows reduced to Last values each (Last == 0: to none, dropping the dimension).
template <class Source, std::size_t Last>
constexpr shape rows_shape() {
    shape s = Source::shape;
    if (Last == 0) s.dims[--s.rank] = 0;
    else s.dims[s.rank - 1] = Last;
    return s;
}
// (Through a class: GCC 12 crashes on rows_shape<...>() as an alias template's argument.)
template <class Element, class Source, std::size_t Last>
struct rows_tensor_of {
    static constexpr shape rows = rows_shape<Source, Last>();
    using type = typename tensor_for<Element, rows, 0>::type;
};
template <class Element, class Source, std::size_t Last>
using rows_tensor = typename rows_tensor_of<Element, Source, Last>::type;

}  // namespace detail

// The index of the largest value in each row: a std::size_t for a rank-1 tensor, otherwise a
// tensor of the leading dimensions. A range (std::array, std::vector, std::span) gives a std::size_t.
template <class T, std::size_t... Dims>
constexpr auto argmax(const Tensor<T, Dims...>& x) {
    using X = Tensor<T, Dims...>;
    constexpr std::size_t length = X::shape.back();
    if constexpr (X::rank == 1) {
        return detail::argmax_row(x.data(), length);
    } else {
        detail::rows_tensor<std::size_t, X, 0> result{};
        for (std::size_t r = 0; r < decltype(result)::size; ++r)
            result[r] = detail::argmax_row(x.data() + r * length, length);
        return result;
    }
}
template <detail::scores_range R>
constexpr std::size_t argmax(const R& x) {
    const auto view = std::span(x);
    if constexpr (decltype(view)::extent != std::dynamic_extent)
        static_assert(decltype(view)::extent > 0, "typenet::argmax: an empty range has no largest value");
    else if (view.empty())
        throw error("typenet::argmax: the range is empty, so it has no largest value");
    return detail::argmax_row(view.data(), view.size());
}

// Each row's softmax (torch.softmax(x, dim=-1)), computed as the Softmax<-1> layer computes it.
template <class T, std::size_t... Dims>
Tensor<T, Dims...> softmax(const Tensor<T, Dims...>& x) {
    using X = Tensor<T, Dims...>;
    Tensor<T, Dims...> result;
    detail::softmax_rows<T, X::shape.back(), X::size / X::shape.back()>(x.data(), result.data());
    return result;
}
template <detail::fixed_scores R>
auto softmax(const R& x) {
    using S = detail::span_of<R>;
    std::array<std::remove_cv_t<typename S::element_type>, S::extent> result;
    detail::softmax_rows<typename decltype(result)::value_type, S::extent, 1>(std::span(x).data(), result.data());
    return result;
}

// The K largest values of each row and their indices, largest first (torch.topk(x, K)): tensors
// whose last dimension is K, or std::arrays of K for a range.
template <std::size_t K, class T, std::size_t... Dims>
constexpr auto topk(const Tensor<T, Dims...>& x) {
    using X = Tensor<T, Dims...>;
    constexpr std::size_t length = X::shape.back();
    static_assert(K >= 1 && K <= length, "typenet::topk: K must lie between 1 and the length of the last dimension");
    topk_result<detail::rows_tensor<T, X, K>, detail::rows_tensor<std::size_t, X, K>> result{};
    for (std::size_t r = 0; r < X::size / length; ++r)
        detail::topk_row<K>(x.data() + r * length, length, result.values.data() + r * K, result.indices.data() + r * K);
    return result;
}
template <std::size_t K, detail::fixed_scores R>
constexpr auto topk(const R& x) {
    using S = detail::span_of<R>;
    using T = std::remove_cv_t<typename S::element_type>;
    static_assert(K >= 1 && K <= S::extent, "typenet::topk: K must lie between 1 and the number of values");
    topk_result<std::array<T, K>, std::array<std::size_t, K>> result{};
    detail::topk_row<K>(std::span(x).data(), S::extent, result.values.data(), result.indices.data());
    return result;
}

}  // namespace typenet
