// Tensor: a fixed-size, 64-byte aligned array with a compile-time shape. No heap, no indirection.
//
//     typenet::Tensor<float, 1, 28, 28> image{};   // zero-initialised, 3136 floats
//     image(0, 14, 14) = 1.0f;                      // row-major, like a contiguous torch tensor
//     static_assert(decltype(image)::shape == typenet::shape{1, 28, 28});
#pragma once

#include <cstddef>
#include <span>
#include <type_traits>
#include <utility>

#include "shape.hpp"

namespace typenet {

template <class T, std::size_t... Dims>
struct Tensor {
    static_assert(sizeof...(Dims) >= 1 && sizeof...(Dims) <= max_rank,
                  "typenet::Tensor takes between 1 and typenet::max_rank dimensions");
    static_assert(((Dims > 0) && ...), "typenet::Tensor: every dimension must be at least 1");

    using value_type = T;
    static constexpr typenet::shape shape{Dims...};
    static constexpr std::size_t rank = sizeof...(Dims);
    static constexpr std::size_t size = (Dims * ...);

    // Public so that Tensor stays an aggregate: `Tensor<float, 4> t{1, 2, 3, 4};` works.
    alignas(64) T elements[size];

    constexpr T* data() { return elements; }
    constexpr const T* data() const { return elements; }
    constexpr T* begin() { return elements; }
    constexpr T* end() { return elements + size; }
    constexpr const T* begin() const { return elements; }
    constexpr const T* end() const { return elements + size; }
    constexpr std::span<T, size> flat() { return std::span<T, size>(elements, size); }
    constexpr std::span<const T, size> flat() const { return std::span<const T, size>(elements, size); }

    constexpr T& operator[](std::size_t i) { return elements[i]; }
    constexpr const T& operator[](std::size_t i) const { return elements[i]; }

    template <class... Index>
        requires(sizeof...(Index) == rank)
    constexpr T& operator()(Index... index) { return elements[offset(index...)]; }
    template <class... Index>
        requires(sizeof...(Index) == rank)
    constexpr const T& operator()(Index... index) const { return elements[offset(index...)]; }

private:
    template <class... Index>
    static constexpr std::size_t offset(Index... index) {
        std::size_t flat_index = 0;
        ((flat_index = flat_index * Dims + static_cast<std::size_t>(index)), ...);
        return flat_index;
    }
};

namespace detail {
template <class T, shape S, std::size_t Batch, class = std::make_index_sequence<S.rank>>
struct tensor_for;
template <class T, shape S, std::size_t Batch, std::size_t... I>
struct tensor_for<T, S, Batch, std::index_sequence<I...>> {
    using type = std::conditional_t<Batch == 0, Tensor<T, S.dims[I]...>, Tensor<T, (Batch ? Batch : 1), S.dims[I]...>>;
};
}  // namespace detail

// The Tensor type of one sample of shape S, or of a batch of Batch samples of shape S.
template <class T, shape S>
using tensor_for = typename detail::tensor_for<T, S, 0>::type;
template <class T, std::size_t Batch, shape S>
using batch_tensor_for = typename detail::tensor_for<T, S, Batch>::type;

}  // namespace typenet
