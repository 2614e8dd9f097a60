// Parity with PyTorch, shared by the parity programs: a reference model (reference/*.hpp, with its
// PyTorch twin in reference/*.py) loads the .pth file PyTorch saved with random parameters and must
// reproduce PyTorch's state_dict and outputs; then it saves itself for PyTorch to load back
// (reference/check_typenet_files.py).
#pragma once

#include <catch2/catch.hpp>

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include <typenet/typenet.hpp>

#include "support.hpp"

namespace parity {

inline const std::string reference_dir = TYPENET_REFERENCE_DIR;
constexpr std::size_t batch = 3;  // as make_reference.py

template <class T, class Tensor>
void read_tensor(Tensor& t, const std::string& file) {
    const std::vector<char> bytes = test::read_file(reference_dir + "/" + file);
    REQUIRE(bytes.size() == Tensor::size * sizeof(T));
    for (std::size_t i = 0; i < Tensor::size; ++i) {
        T v;
        std::memcpy(&v, bytes.data() + i * sizeof(T), sizeof(T));
        t[i] = v;
    }
}

template <class T>
std::vector<T> read_values(const std::string& file) {
    const std::vector<char> bytes = test::read_file(reference_dir + "/" + file);
    std::vector<T> values(bytes.size() / sizeof(T));
    std::memcpy(values.data(), bytes.data(), values.size() * sizeof(T));
    return values;
}

// Runs the reference batch of `name` through the model and returns the error relative to the scale
// of the output stored in `expected_file`. The input file holds float32 values, or int64 token ids
// for a model whose input is Tokens<...>; a model with a key_padding_mask<true> layer is called with
// the mask in <name>.mask.bin (a byte per position, 1 = padding).
template <class M>
double error_of(M& model, const std::string& name, const std::string& expected_file) {
    using T = typename M::scalar_type;
    auto x = std::make_unique<typename M::template batch_input_type<batch>>();
    auto y = std::make_unique<typename M::template batch_output_type<batch>>();
    if constexpr (std::is_integral_v<typename M::input_element>) read_tensor<std::int64_t>(*x, name + ".input.bin");
    else read_tensor<float>(*x, name + ".input.bin");
    if constexpr (M::takes_key_padding_mask) {
        auto mask = std::make_unique<typename M::template batch_key_padding_mask_type<batch>>();
        read_tensor<std::uint8_t>(*mask, name + ".mask.bin");
        model.forward(*x, *y, *mask);
    } else {
        model.forward(*x, *y);
    }
    const auto expected = read_values<T>(expected_file);
    return test::relative_error<T, T>(y->flat(), expected);
}

inline std::string path_of(const std::string& file) { return reference_dir + "/" + file; }

// The compile-time state_dict is PyTorch's, key for key, in order, with PyTorch's shapes and dtypes.
template <class M>
void check_keys(const typenet::checkpoint& c) {
    REQUIRE(c.tensors.size() == M::state_dict.size());
    std::size_t i = 0;
    for (const typenet::state_entry& e : M::state_dict) {
        const typenet::checkpoint_tensor& t = c.tensors[i++];
        INFO("entry " << t.key);
        CHECK(e.key == t.key);
        CHECK(e.dtype == t.dtype);
        CHECK(std::vector<std::size_t>(e.shape.begin(), e.shape.end()) == t.shape);
    }
}

// What both checks below begin with: PyTorch's zip file read, its keys checked, and the float model
// loaded strictly from it, with outputs within 1e-5 of PyTorch's, relative to the output's scale.
template <class M>
struct loaded {
    typenet::checkpoint checkpoint;
    std::unique_ptr<M> model;
};
template <class M>
loaded<M> load_and_check(const std::string& n) {
    loaded<M> l{typenet::read_pth(path_of(n + ".pth")), std::make_unique<M>()};
    check_keys<M>(l.checkpoint);
    typenet::load_state_dict(*l.model, l.checkpoint);
    CHECK(error_of(*l.model, n, n + ".output.bin") <= 1e-5);
    return l;
}

// Checks one reference model: called as check_model{}.template operator()<Net, Input>("name").
struct check_model {
    template <class Net, class In>
    void operator()(const char* name) {
        DYNAMIC_SECTION(name) {
            using M = typenet::Model<Net, In, float, batch>;
            using M64 = typenet::Model<Net, In, double, batch>;
            const std::string n = name;
            // torch.save's file, zip (load_and_check) and legacy, loaded strictly.
            const auto [c, model] = load_and_check<M>(n);
            auto legacy = std::make_unique<M>();
            typenet::load_state_dict(*legacy, path_of(n + ".legacy.pth"));
            CHECK(error_of(*legacy, n, n + ".output.bin") <= 1e-5);

            // In double, the same float32 parameters give PyTorch's float64 outputs up to rounding.
            auto model64 = std::make_unique<M64>();
            typenet::load_state_dict(*model64, c);
            CHECK(error_of(*model64, n, n + ".output64.bin") <= 1e-10);

            // typenet writes them back; check_typenet_files.py has PyTorch read them.
            typenet::save_state_dict(*model, path_of(n + ".typenet.pth"));
            typenet::save_state_dict(*model64, path_of(n + ".typenet64.pth"));
        }
    }
};

// The lighter check, for groups of many small models, which keeps their programs quick to compile:
// the key list, the float model loaded from PyTorch's zip file against PyTorch's float output, and
// the file typenet saves back (the group's FLOAT_ONLY in its .py tells check_typenet_files.py that
// there is no float64 file). Called as check_model_float{}.template operator()<Net, Input>("name").
struct check_model_float {
    template <class Net, class In>
    void operator()(const char* name) {
        DYNAMIC_SECTION(name) {
            const std::string n = name;
            const auto checked = load_and_check<typenet::Model<Net, In, float, batch>>(n);
            typenet::save_state_dict(*checked.model, path_of(n + ".typenet.pth"));
        }
    }
};

}  // namespace parity
