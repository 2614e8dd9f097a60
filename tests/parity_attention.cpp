// Parity with PyTorch of the attention group (reference/attention.hpp and .py): Embedding with
// padding_idx, MultiheadAttention (bias or not, causal), TransformerEncoderLayer (relu and gelu,
// norm_first both ways), a 2-layer TransformerEncoder with a final norm and a text classifier
// from token ids, over sequences of 64 positions. To keep this program quick to compile, most
// models are checked in float32 with one load (the zip file) and one save; two are also checked
// in float64 against PyTorch's float64 outputs, and the legacy file format is read once.
#include <catch2/catch.hpp>

#include <cstdint>
#include <type_traits>

#include "parity_support.hpp"
#include "reference/attention.hpp"

using namespace parity;

namespace {

// The reference batch through the model: token ids are int64 in the file, other inputs float32.
template <class M>
double attention_error(M& model, const std::string& name, const std::string& expected_file) {
    using T = typename M::scalar_type;
    auto x = std::make_unique<typename M::template batch_input_type<batch>>();
    auto y = std::make_unique<typename M::template batch_output_type<batch>>();
    if constexpr (std::is_integral_v<typename M::input_element>) read_tensor<std::int64_t>(*x, name + ".input.bin");
    else read_tensor<float>(*x, name + ".input.bin");
    model.forward(*x, *y);
    const auto expected = read_values<T>(expected_file);
    return test::relative_error<T, T>(y->flat(), expected);
}

struct check_attention_model {
    template <class Net, class In, bool AlsoDouble>
    void operator()(const char* name) {
        DYNAMIC_SECTION(name) {
            using M = typenet::Model<Net, In, float, batch>;
            const std::string n = name;

            // The compile-time state_dict is PyTorch's, key for key, in order, with PyTorch's shapes and dtypes.
            const typenet::checkpoint c = typenet::read_pth(path_of(n + ".pth"));
            REQUIRE(c.tensors.size() == M::state_dict.size());
            std::size_t i = 0;
            for (const typenet::state_entry& e : M::state_dict) {
                const typenet::checkpoint_tensor& t = c.tensors[i++];
                INFO("entry " << t.key);
                CHECK(e.key == t.key);
                CHECK(e.dtype == t.dtype);
                CHECK(std::vector<std::size_t>(e.shape.begin(), e.shape.end()) == t.shape);
            }

            // Outputs within 1e-5 of PyTorch's float32 ones, relative to the output's scale.
            auto model = std::make_unique<M>();
            typenet::load_state_dict(*model, c);
            CHECK(attention_error(*model, n, n + ".output.bin") <= 1e-5);
            typenet::save_state_dict(*model, path_of(n + ".typenet.pth"));

            if constexpr (AlsoDouble) {
                // The same float32 parameters in double give PyTorch's float64 outputs up to rounding.
                using M64 = typenet::Model<Net, In, double, batch>;
                auto model64 = std::make_unique<M64>();
                typenet::load_state_dict(*model64, path_of(n + ".legacy.pth"));
                CHECK(attention_error(*model64, n, n + ".output64.bin") <= 1e-10);
                typenet::save_state_dict(*model64, path_of(n + ".typenet64.pth"));
            }
        }
    }
};

}  // namespace

TEST_CASE("attention: every reference model reproduces PyTorch's state_dict and outputs") {
    reference::attention::for_each_attention_model(check_attention_model{});
}
