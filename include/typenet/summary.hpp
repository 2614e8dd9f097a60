// A torchinfo-like table of a model type: every module's path, type, output shape (with the
// batch dimension) and parameter count, then the totals.
//
//     using M = typenet::Model<typenet::Sequential<typenet::Flatten, typenet::Linear<784, 10>>,
//                              typenet::Input<1, 28, 28>>;
//     std::cout << typenet::summary<M>();
#pragma once

#include <algorithm>
#include <cstddef>
#include <iomanip>
#include <ostream>
#include <sstream>
#include <string>
#include <string_view>

#include "error.hpp"
#include "shape.hpp"
#include "state_dict.hpp"

namespace typenet {

namespace detail {

inline std::string with_separators(std::size_t n) {
    const std::string digits = std::to_string(n);
    std::string out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i && (digits.size() - i) % 3 == 0) out += ',';
        out += digits[i];
    }
    return out;
}

// "0.01 MB" for 10,368 bytes: MiB to two decimals, rounded. Built as a string: the table's stream
// is std::left, under which setw(2) << setfill('0') would pad 1 hundredth to "10", not "01".
inline std::string megabytes(std::size_t bytes) {
    const std::size_t hundredths = (bytes * 100 + 524288) / 1048576;
    const std::size_t fraction = hundredths % 100;
    return concat({std::to_string(hundredths / 100), fraction < 10 ? ".0" : ".", std::to_string(fraction), " MB"});
}

}  // namespace detail

// The shape of a batch of `batch` samples of per-sample shape `s`: [batch, s...].
inline std::string batch_shape_string(std::size_t batch, const shape& s) {
    std::string text = "[";
    text += std::to_string(batch);
    for (std::size_t d : s) {
        text += ", ";
        text += std::to_string(d);
    }
    text += ']';
    return text;
}

template <class M>
std::string summary() {
    std::size_t path_width = 12, type_width = 4;
    for (const module_info& m : M::modules) {
        path_width = std::max(path_width, 2 * m.depth + (m.path.empty() ? 7 : m.path.size()));
        type_width = std::max(type_width, m.type_name.size());
    }
    const int path_w = int(path_width) + 1, type_w = int(type_width) + 1, shape_w = 23;
    const std::string rule(path_width + type_width + 40, '='), thin(rule.size(), '-');

    std::ostringstream out;
    out << std::left << rule << '\n'
        << std::setw(path_w) << "Layer (path)" << std::setw(type_w) << "Type" << std::setw(shape_w) << "Output shape"
        << "Param #\n"
        << rule << '\n';
    std::size_t buffers = 0;
    for (const state_entry& e : M::state_dict)
        if (!e.is_parameter()) buffers += e.numel;
    for (const module_info& m : M::modules) {
        const std::size_t params = count_parameters(M::state_dict, m);
        out << std::string(2 * m.depth, ' ') << std::setw(path_w - int(2 * m.depth))
            << (m.path.empty() ? std::string_view("(model)") : m.path) << std::setw(type_w) << m.type_name
            << std::setw(shape_w) << batch_shape_string(M::batch_size, m.output_shape)
            << (m.is_layer || params ? detail::with_separators(params) : std::string("--")) << '\n';
    }
    out << rule << '\n'
        << "Total params: " << detail::with_separators(M::parameter_count) << '\n'
        << "Buffers (elements): " << detail::with_separators(buffers) << '\n'
        << thin << '\n'
        << "Input shape: " << batch_shape_string(M::batch_size, M::input_shape) << '\n'
        << "State block (parameters and buffers, 64-byte aligned): " << detail::megabytes(M::state_bytes) << '\n'
        << "Forward workspace for a batch of " << M::batch_size << ": "
        << detail::megabytes(M::workspace_elements * sizeof(typename M::scalar_type)) << '\n'
        << rule << '\n';
    return out.str();
}

}  // namespace typenet
