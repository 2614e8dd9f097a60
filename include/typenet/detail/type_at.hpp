// type_at<I, Ts...>: the I-th type of a pack. Deep Sequentials look their children up by index
// many times; Clang's builtin does it in constant time, and the fallback (GCC 12) in one overload
// resolution over the pack, without recursive instantiations.
#pragma once

#include <cstddef>
#include <utility>

namespace typenet::detail {

#if defined(__has_builtin) && __has_builtin(__type_pack_element)
template <std::size_t I, class... Ts>
using type_at = __type_pack_element<I, Ts...>;
#else
template <std::size_t I, class T>
struct indexed_type {
    using type = T;
};
template <class Indices, class... Ts>
struct indexed_types;
template <std::size_t... I, class... Ts>
struct indexed_types<std::index_sequence<I...>, Ts...> : indexed_type<I, Ts>... {};

template <std::size_t I, class T>
indexed_type<I, T> select_indexed(const indexed_type<I, T>&);

template <std::size_t I, class... Ts>
using type_at = typename decltype(select_indexed<I>(indexed_types<std::index_sequence_for<Ts...>, Ts...>{}))::type;
#endif

}  // namespace typenet::detail
