// The exceptions typenet throws at run time. Shape errors never get here: they stop compilation
// (see shape_error.hpp). Everything a file, a key or a size can get wrong is a typenet::error.
//
//     using M = typenet::Model<typenet::Linear<4, 2>, typenet::Input<4>>;
//     try { M::entry("weights"); }  // no such key: the key is "weight"
//     catch (const typenet::error& e) { std::cerr << e.what() << '\n'; }
#pragma once

#include <initializer_list>
#include <stdexcept>
#include <string>
#include <string_view>

namespace typenet {

struct error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// A key that a model does not have, or a state_dict that does not fit the model.
struct state_dict_error : error {
    using error::error;
};

// A file that cannot be read, written, or parsed as the format it claims to be.
struct format_error : error {
    using error::error;
};

namespace detail {
// Joins message parts. (GCC 12 warns falsely, -Wrestrict, on `"text" + std::string` chains.)
inline std::string concat(std::initializer_list<std::string_view> parts) {
    std::string text;
    for (std::string_view part : parts) text.append(part);
    return text;
}
}  // namespace detail

}  // namespace typenet
