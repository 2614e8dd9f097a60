// Tensor: a fixed-size, 64-byte aligned array with a compile-time shape. No heap, no indirection.
//
//     typenet::Tensor<float, 1, 28, 28> image{};   // zero-initialised, 3136 floats
//     image(0, 14, 14) = 1.0f;                      // row-major, like a contiguous torch tensor
//     static_assert(decltype(image)::shape == typenet::shape{1, 28, 28});
//     static_assert(image.size() == 784);           // or decltype(image)::size, a constant
//     auto t = typenet::Tensor<float, 2, 2>::from({0.1f, 0.2f, 0.3f, 0.4f});  // or a vector, a span
//     std::cout << t << '\n';                       // tensor([[0.1000, 0.2000],
//                                                   //         [0.3000, 0.4000]])
//
// Printing follows PyTorch's default print options (4 decimals, scientific notation when the
// magnitudes call for it, 80 columns, "..." past 1000 elements), whatever the stream's flags and
// locale; a dtype other than float32, int64 and bool is named as torch names it.
#pragma once

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <ostream>
#include <span>
#include <string>
#include <type_traits>
#include <utility>

#include "dtype.hpp"
#include "error.hpp"
#include "shape.hpp"

namespace typenet {

namespace detail {

// Tensor::size: the element count both as a constant (`Tensor<float, 2, 3>::size == 6`, which
// converts to std::size_t) and as a call (`t.size()`, as std::array and std::span have it, which
// std::size and std::ranges::size use). Where a std::size_t is deduced (std::min), write size().
template <std::size_t N>
struct element_count {
    constexpr operator std::size_t() const noexcept { return N; }
    constexpr std::size_t operator()() const noexcept { return N; }
};

// A named predicate, so that the compiler's message shows both numbers:
// "value_count_equals_tensor_size<float, 5, 4>".
template <class T, std::size_t Values, std::size_t TensorSize>
inline constexpr bool value_count_equals_tensor_size = Values == TensorSize;

[[noreturn]] inline void throw_value_count(std::size_t values, const shape& s) {
    throw error(concat({"typenet: Tensor::from: ", std::to_string(values), " values for a tensor of shape ",
                        to_string(s), ", which holds ", std::to_string(s.numel()), "; pass exactly ",
                        std::to_string(s.numel())}));
}

}  // namespace detail

template <class T, std::size_t... Dims>
struct Tensor {
    static_assert(sizeof...(Dims) >= 1 && sizeof...(Dims) <= max_rank,
                  "typenet::Tensor takes between 1 and typenet::max_rank dimensions");
    static_assert(((Dims > 0) && ...), "typenet::Tensor: every dimension must be at least 1");

    using value_type = T;
    static constexpr typenet::shape shape{Dims...};
    static constexpr std::size_t rank = sizeof...(Dims);
    static constexpr detail::element_count<(Dims * ...)> size{};

    // Public so that Tensor stays an aggregate: `Tensor<float, 4> t{1, 2, 3, 4};` works.
    alignas(64) T elements[size];

    // A tensor holding `values` in row-major order, as torch.tensor(values).view(Dims...). Their
    // number must equal size: checked at compile time for a braced list, a std::array or a
    // fixed-size std::span, at run time (typenet::error) for a std::vector or another range.
    template <std::size_t N>
    static constexpr Tensor from(const T (&values)[N]) {
        static_assert(detail::value_count_equals_tensor_size<T, N, size>,
                      "typenet::Tensor::from: the number of values (first number) must equal the tensor's size "
                      "(second number)");
        return copy_of(values);
    }
    template <class Values>
        requires requires(const Values& v) { std::span(v); } &&
                 std::is_same_v<
                     std::remove_cv_t<typename decltype(std::span(std::declval<const Values&>()))::element_type>, T>
    static constexpr Tensor from(const Values& values) {
        const auto view = std::span(values);
        if constexpr (decltype(view)::extent != std::dynamic_extent) {
            static_assert(detail::value_count_equals_tensor_size<T, decltype(view)::extent, size>,
                          "typenet::Tensor::from: the number of values (first number) must equal the tensor's size "
                          "(second number)");
        } else if (view.size() != size) {
            detail::throw_value_count(view.size(), shape);
        }
        return copy_of(view.data());
    }

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

    static constexpr Tensor copy_of(const T* values) {
        Tensor t;
        for (std::size_t i = 0; i < size; ++i) t.elements[i] = values[i];
        return t;
    }
};

namespace detail {
template <class T, shape S, std::size_t Batch, class = std::make_index_sequence<S.rank>>
struct tensor_for;
template <class T, shape S, std::size_t Batch, std::size_t... I>
struct tensor_for<T, S, Batch, std::index_sequence<I...>> {
    using type = std::conditional_t<Batch == 0, Tensor<T, S.dims[I]...>, Tensor<T, (Batch ? Batch : 1), S.dims[I]...>>;
};

template <class R>
inline constexpr bool is_tensor = false;
template <class T, std::size_t... Dims>
inline constexpr bool is_tensor<Tensor<T, Dims...>> = true;
}  // namespace detail

// The Tensor type of one sample of shape S, or of a batch of Batch samples of shape S.
template <class T, shape S>
using tensor_for = typename detail::tensor_for<T, S, 0>::type;
template <class T, std::size_t Batch, shape S>
using batch_tensor_for = typename detail::tensor_for<T, S, Batch>::type;

namespace detail {

// PyTorch's default print options (torch.set_printoptions): precision, threshold, edgeitems, linewidth.
inline constexpr int print_precision = 4;
inline constexpr std::size_t print_threshold = 1000, print_edge_items = 3, print_line_width = 80;

// How a tensor's elements are written, chosen once for all of them as torch's _Formatter does:
// integers as they are; floats that are all whole as "3.", others as "0.1000", or all in
// scientific notation ("1.0000e-05") when their magnitudes span more than 1000x, exceed 1e8 or (not
// whole) go below 1e-4. Every element is right-aligned to the widest finite nonzero one.
enum class number_style { integer, whole, fixed, scientific };

template <class T>
std::string element_text(T value, number_style style) {
    if constexpr (std::is_same_v<T, bool>) {
        return value ? "True" : "False";
    } else {
        char buffer[128];
        std::to_chars_result r{};
        if constexpr (std::is_integral_v<T>) {
            r = std::to_chars(buffer, buffer + sizeof buffer, value);
        } else {
            const double v = double(value);  // Python formats a float32 element as this double
            if (std::isnan(v)) return "nan";  // never "-nan", as Python
            if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
            if (style == number_style::scientific)
                r = std::to_chars(buffer, buffer + sizeof buffer, v, std::chars_format::scientific, print_precision);
            else
                r = std::to_chars(buffer, buffer + sizeof buffer, v, std::chars_format::fixed,
                                  style == number_style::whole ? 0 : print_precision);
            if (style == number_style::whole && r.ec == std::errc()) *r.ptr++ = '.';
        }
        return std::string(buffer, r.ec == std::errc() ? r.ptr : buffer);
    }
}

template <class T>
class tensor_printer {
public:
    tensor_printer(const T* data, const shape& s)
        : data_(data), shape_(s), summarize_(s.numel() > print_threshold) {
        choose_format();
    }

    std::string text() {
        std::string out = "tensor(";
        write(out, 0, 0, out.size());
        // The dtype, when torch would name it: on the last line if it fits in 80 columns.
        if constexpr (has_dtype<T>) {
            constexpr dtype d = dtype_of<T>;
            if constexpr (d != dtype::float32 && d != dtype::int64 && d != dtype::bool_) {
                const std::string suffix = concat({"dtype=", torch_name(d)});
                const std::size_t newline = out.rfind('\n');
                const std::size_t last_line = newline == std::string::npos ? out.size() + 2 : out.size() - newline + 1;
                out += last_line + suffix.size() + 2 > print_line_width ? ",\n       " : ", ";
                out += suffix;
            }
        }
        out += ')';
        return out;
    }

private:
    // Past print_threshold elements, a dimension longer than 2 * print_edge_items shows its first
    // and last print_edge_items entries only.
    bool elided(std::size_t d) const { return summarize_ && shape_[d] > 2 * print_edge_items; }

    bool shown(std::size_t flat) const {
        for (std::size_t d = shape_.rank; d-- > 0;) {
            const std::size_t i = flat % shape_[d];
            flat /= shape_[d];
            if (elided(d) && i >= print_edge_items && i < shape_[d] - print_edge_items) return false;
        }
        return true;
    }

    void choose_format() {
        const std::size_t n = shape_.numel();
        if constexpr (!std::is_floating_point_v<T>) {
            style_ = number_style::integer;
            for (std::size_t i = 0; i < n; ++i)
                if (shown(i)) width_ = std::max(width_, element_text(data_[i], style_).size());
        } else {
            bool any = false, whole = true;
            double smallest = 0, largest = 0;
            for (std::size_t i = 0; i < n; ++i) {
                const double v = std::fabs(double(data_[i]));
                if (!shown(i) || !std::isfinite(v) || v == 0) continue;
                whole = whole && v == std::ceil(v);
                smallest = any ? std::min(smallest, v) : v;
                largest = any ? std::max(largest, v) : v;
                any = true;
            }
            if (!any) return;  // only zeros, infinities, NaNs: "0.", width 1, as torch
            const bool wide = largest / smallest > 1000.0 || largest > 1.0e8;
            style_ = whole ? (wide ? number_style::scientific : number_style::whole)
                           : (wide || smallest < 1.0e-4 ? number_style::scientific : number_style::fixed);
            for (std::size_t i = 0; i < n; ++i) {
                const double v = double(data_[i]);
                if (shown(i) && std::isfinite(v) && v != 0)
                    width_ = std::max(width_, element_text(data_[i], style_).size());
            }
        }
    }

    // Dimension d of the sub-tensor starting at element `offset`, its '[' in column `indent`.
    void write(std::string& out, std::size_t d, std::size_t offset, std::size_t indent) const {
        std::size_t stride = 1;
        for (std::size_t e = d + 1; e < shape_.rank; ++e) stride *= shape_[e];
        const bool last = d + 1 == shape_.rank;
        // torch puts as many elements on a line as fit in the width left ("x, " each), at least one.
        const std::size_t per_line =
            indent + width_ + 2 > print_line_width ? 1 : (print_line_width - indent) / (width_ + 2);
        out += '[';
        std::size_t item = 0;
        for (std::size_t i = 0; i < shape_[d]; ++i, ++item) {
            if (item > 0) {
                if (!last) {
                    out += ',';
                    out.append(shape_.rank - d - 1, '\n');  // a blank line between matrices, two between 3-d blocks
                    out.append(indent + 1, ' ');
                } else {
                    out += item % per_line == 0 ? ",\n" : ", ";
                    if (item % per_line == 0) out.append(indent + 1, ' ');
                }
            }
            if (elided(d) && i == print_edge_items) {
                out += last ? " ..." : "...";
                i = shape_[d] - print_edge_items - 1;
            } else if (last) {
                const std::string text = element_text(data_[offset + i], style_);
                if (text.size() < width_) out.append(width_ - text.size(), ' ');
                out += text;
            } else {
                write(out, d + 1, offset + i * stride, indent + 1);
            }
        }
        out += ']';
    }

    const T* data_;
    const shape& shape_;
    bool summarize_;
    number_style style_ = number_style::whole;
    std::size_t width_ = 1;
};

}  // namespace detail

// The tensor as PyTorch prints it: tensor([[0.1000, 0.2000],\n        [0.3000, 0.4000]]).
template <class T, std::size_t... Dims>
    requires std::is_arithmetic_v<T>
std::string to_string(const Tensor<T, Dims...>& t) {
    return detail::tensor_printer<T>(t.data(), Tensor<T, Dims...>::shape).text();
}

template <class T, std::size_t... Dims>
    requires std::is_arithmetic_v<T>
std::ostream& operator<<(std::ostream& os, const Tensor<T, Dims...>& t) {
    return os << to_string(t);
}

}  // namespace typenet
