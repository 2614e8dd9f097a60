// Reading what make_weights.py writes: raw little-endian files, and the list of state_dict entries.
// Every failure throws with the file's name and what to do, since a benchmark of the wrong weights
// would be worse than none.
#pragma once

#include <cstddef>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>
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

// One line of <name>.keys.txt: "features.0.weight float32 32,1,3,3".
struct key_line {
    std::string key, dtype;
    std::vector<std::size_t> shape;
};

inline std::vector<key_line> read_keys(const std::string& path) {
    const std::vector<char> text = read_bytes(path);
    std::istringstream lines(std::string(text.begin(), text.end()));
    std::vector<key_line> keys;
    for (std::string line; std::getline(lines, line);) {
        std::istringstream fields(line);
        key_line k;
        std::string dims;
        fields >> k.key >> k.dtype >> dims;
        std::istringstream dim_list(dims);
        for (std::string d; std::getline(dim_list, d, ',');) k.shape.push_back(std::stoul(d));
        keys.push_back(k);
    }
    return keys;
}

}  // namespace bench
