// Parity with PyTorch: every reference model (reference/models.hpp, reference/models.py) gets
// PyTorch's random parameters and inputs and must reproduce PyTorch's outputs and state_dict.
#include <catch2/catch.hpp>

#include <cstring>
#include <memory>
#include <sstream>
#include <string>

#include "reference/models.hpp"
#include "support.hpp"

namespace {

const std::string reference_dir = TYPENET_REFERENCE_DIR;
constexpr std::size_t batch = 3;  // as make_reference.py

struct key_line {
    std::string key, dtype;
    typenet::shape shape;
};

std::vector<key_line> read_keys(const std::string& name) {
    const std::vector<char> text = test::read_file(reference_dir + "/" + name + ".keys.txt");
    std::istringstream lines(std::string(text.begin(), text.end()));
    std::vector<key_line> keys;
    for (std::string line; std::getline(lines, line);) {
        std::istringstream fields(line);
        key_line k;
        std::string dims;
        fields >> k.key >> k.dtype >> dims;
        std::istringstream dim_list(dims);
        for (std::string d; std::getline(dim_list, d, ',');) k.shape.dims[k.shape.rank++] = std::stoul(d);
        keys.push_back(k);
    }
    return keys;
}

// Loads the raw state file into a model, converting float32 to the model's scalar type.
template <class M>
void load_state(M& model, const std::string& name) {
    const std::vector<char> bytes = test::read_file(reference_dir + "/" + name + ".state.bin");
    std::size_t at = 0;
    for (const typenet::state_entry& e : M::state_dict) {
        const std::size_t stored = e.numel * (e.dtype == typenet::dtype::int64 ? 8 : 4);
        REQUIRE(at + stored <= bytes.size());
        if (e.dtype == typenet::dtype::int64) {
            std::memcpy(model.bytes(e).data(), bytes.data() + at, stored);
        } else {
            auto* out = reinterpret_cast<typename M::scalar_type*>(model.bytes(e).data());
            for (std::size_t i = 0; i < e.numel; ++i) {
                float v;
                std::memcpy(&v, bytes.data() + at + 4 * i, 4);
                out[i] = v;
            }
        }
        at += stored;
    }
    REQUIRE(at == bytes.size());
}

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

// Runs the reference batch through M and returns the error relative to PyTorch's output scale.
template <class M>
double run_batch(const std::string& name) {
    auto model = std::make_unique<M>();
    load_state(*model, name);
    auto x = std::make_unique<typename M::template batch_input_type<batch>>();
    auto y = std::make_unique<typename M::template batch_output_type<batch>>();
    read_tensor<float>(*x, name + ".input.bin");
    model->forward(*x, *y);
    using T = typename M::scalar_type;
    const auto expected = read_values<T>(name + (std::is_same_v<T, double> ? ".output64.bin" : ".output.bin"));
    return test::relative_error<T, T>(y->flat(), expected);
}

struct check_model {
    template <class Net, class In>
    void operator()(const char* name) {
        DYNAMIC_SECTION(name) {
            using M = typenet::Model<Net, In, float, batch>;
            INFO("model " << name);

            // The compile-time state_dict is PyTorch's, key for key, in order.
            const std::vector<key_line> keys = read_keys(name);
            REQUIRE(keys.size() == M::state_dict.size());
            std::size_t i = 0;
            for (const typenet::state_entry& e : M::state_dict) {
                INFO("entry " << i);
                CHECK(e.key == keys[i].key);
                CHECK(typenet::name(e.dtype) == keys[i].dtype);
                CHECK(e.shape == keys[i].shape);
                ++i;
            }

            // Outputs within 1e-5 of PyTorch's, relative to the output's scale.
            CHECK(run_batch<M>(name) <= 1e-5);
            // In double, the same float32 parameters give PyTorch's float64 outputs up to rounding.
            CHECK(run_batch<typenet::Model<Net, In, double, batch>>(name) <= 1e-10);
        }
    }
};

}  // namespace

TEST_CASE("every reference model reproduces PyTorch's state_dict and outputs") {
    reference::for_each_model(check_model{});
}
