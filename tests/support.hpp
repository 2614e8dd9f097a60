// Helpers shared by the tests: reading files, comparing outputs, a temporary directory.
#pragma once

#include <stdlib.h>  // mkdtemp

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstddef>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <span>
#include <stdexcept>
#include <string>
#include <system_error>
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

// A fresh directory of its own (concurrent runs of a test program, in other builds, do not meet in
// it), removed with everything in it at the end of the test.
struct temp_dir {
    std::filesystem::path path;
    temp_dir() {
        std::string pattern = (std::filesystem::temp_directory_path() / "typenet_test_XXXXXX").string();
        if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp: " + std::string(std::strerror(errno)));
        path = pattern;
    }
    ~temp_dir() {
        std::error_code ignored;
        std::filesystem::remove_all(path, ignored);
    }
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;
    std::filesystem::path operator/(const std::string& name) const { return path / name; }
    // The names in the directory, sorted.
    std::vector<std::string> names() const {
        std::vector<std::string> found;
        for (const auto& entry : std::filesystem::directory_iterator(path))
            found.push_back(entry.path().filename().string());
        std::sort(found.begin(), found.end());
        return found;
    }
};

}  // namespace test
