// Helpers shared by the tests: reading files, comparing outputs.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <fstream>
#include <iterator>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace test {

inline std::vector<char> read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot open " + path + " (is the reference data generated? see tests/CMakeLists.txt)");
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Largest |a - b| divided by the largest |b|: the error relative to the output's scale.
template <class A, class B>
double relative_error(std::span<const A> actual, std::span<const B> expected) {
    if (actual.size() != expected.size()) throw std::runtime_error("relative_error: sizes differ");
    double diff = 0, scale = 0;
    for (std::size_t i = 0; i < actual.size(); ++i) {
        const double d = std::abs(double(actual[i]) - double(expected[i]));
        diff = std::isnan(d) ? INFINITY : std::max(diff, d);
        scale = std::max(scale, std::abs(double(expected[i])));
    }
    return scale > 0 ? diff / scale : diff;
}

}  // namespace test
