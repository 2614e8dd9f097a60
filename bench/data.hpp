// Reading what make_weights.py writes: inputs and outputs as raw little-endian float32 files.
// Every failure throws with the file's name and what to do, since a benchmark of the wrong weights
// would be worse than none.
#pragma once

#include <cstddef>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

#include "../tests/support.hpp"  // test::relative_error, the parity tests' measure, used here too

namespace bench {

using test::relative_error;

inline std::vector<char> read_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw std::runtime_error("cannot open " + path +
                                 "; make the benchmark data first: /usr/bin/python3 bench/make_weights.py DIR");
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline std::vector<float> read_floats(const std::string& path) {
    const std::vector<char> bytes = read_bytes(path);
    if (bytes.size() % sizeof(float)) throw std::runtime_error(path + ": size is not a whole number of float32");
    std::vector<float> values(bytes.size() / sizeof(float));
    std::memcpy(values.data(), bytes.data(), bytes.size());
    return values;
}

}  // namespace bench
