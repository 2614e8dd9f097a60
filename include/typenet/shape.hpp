// shape: the dimensions of one sample's tensor, as a compile-time value.
//
//     static_assert(typenet::shape{32, 1, 3, 3}.numel() == 288);
//     using In = typenet::Input<1, 28, 28>;   // the per-sample input of a model
//
// Shapes never include the batch dimension: a Model adds it (see model.hpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <ostream>
#include <string>
#include <type_traits>

namespace typenet {

inline constexpr std::size_t max_rank = 6;

struct shape {
    // Public members keep shape a structural type, so it can be a template argument.
    std::size_t rank = 0;
    std::size_t dims[max_rank] = {};

    constexpr shape() = default;
    constexpr shape(std::initializer_list<std::size_t> list) {
        if (list.size() > max_rank) throw "typenet::shape: more dimensions than typenet::max_rank";
        for (std::size_t d : list) dims[rank++] = d;
    }

    constexpr std::size_t operator[](std::size_t i) const { return dims[i]; }
    constexpr std::size_t back() const { return rank == 0 ? 1 : dims[rank - 1]; }
    constexpr std::size_t numel() const {
        std::size_t n = 1;
        for (std::size_t i = 0; i < rank; ++i) n *= dims[i];
        return n;
    }
    constexpr const std::size_t* begin() const { return dims; }
    constexpr const std::size_t* end() const { return dims + rank; }

    friend constexpr bool operator==(const shape&, const shape&) = default;
};

// PyTorch's spelling, without the "torch.Size(...)": [32, 1, 3, 3]; a 0-dim shape is [].
inline std::string to_string(const shape& s) {
    std::string text = "[";
    for (std::size_t i = 0; i < s.rank; ++i) {
        if (i) text += ", ";
        text += std::to_string(s.dims[i]);
    }
    text += ']';
    return text;
}

inline std::ostream& operator<<(std::ostream& os, const shape& s) { return os << to_string(s); }

// The per-sample input shape of a model, e.g. Input<1, 28, 28> for one grayscale 28x28 image.
template <std::size_t... Dims>
struct Input {
    static_assert(sizeof...(Dims) >= 1 && sizeof...(Dims) <= max_rank,
                  "typenet::Input<...> takes between 1 and typenet::max_rank dimensions");
    static_assert(((Dims > 0) && ...), "typenet::Input<...>: every dimension must be at least 1");
    static constexpr shape value{Dims...};
};

// A per-sample input of integer token ids, for a network that starts with an Embedding:
// Tokens<64> is a sequence of 64 int64 ids (PyTorch's LongTensor), TokensOf<std::int32_t, 64>
// the same in int32. The model's input_type is then a Tensor of that integer type; the model
// checks each id and hands it to the network as a scalar (layers/embedding.hpp).
template <class Int, std::size_t... Dims>
struct TokensOf : Input<Dims...> {
    static_assert(std::is_same_v<Int, std::int64_t> || std::is_same_v<Int, std::int32_t>,
                  "typenet::TokensOf<Int, ...>: token ids are std::int64_t (PyTorch's LongTensor) or std::int32_t");
    using element_type = Int;
};
template <std::size_t... Dims>
struct Tokens : TokensOf<std::int64_t, Dims...> {};

}  // namespace typenet
