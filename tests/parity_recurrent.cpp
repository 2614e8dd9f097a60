// Parity with PyTorch of the recurrent group's reference models (reference/recurrent.hpp and .py):
// RNN (tanh, relu), LSTM (proj_size), GRU, stacked and bidirectional, without bias, returning the
// output sequence, h_n or c_n, and LastStep in a classifier head, over sequences of 100 steps or more.
//
// The bound stays PyTorch's 1e-5 relative to the output's scale after 100+ steps: the hidden
// state forgets its past (gates below 1, tanh saturating), so rounding differences do not grow
// along the sequence; the float64 check (check_model, a few models) bounds the kernels themselves.
#include <catch2/catch.hpp>

#include "parity_support.hpp"
#include "reference/recurrent.hpp"

namespace {

// The lighter check for most models, to keep this program quick to compile: the key list, the float
// model loaded from PyTorch's file against PyTorch's float output, and the file typenet saves back
// (check_typenet_files.py reads it; recurrent.py's FLOAT_ONLY tells it there is no float64 file).
struct check_model_float {
    template <class Net, class In>
    void operator()(const char* name) {
        DYNAMIC_SECTION(name) {
            using M = typenet::Model<Net, In, float, parity::batch>;
            const std::string n = name;
            const typenet::checkpoint c = typenet::read_pth(parity::path_of(n + ".pth"));
            REQUIRE(c.tensors.size() == M::state_dict.size());
            std::size_t i = 0;
            for (const typenet::state_entry& e : M::state_dict) {
                const typenet::checkpoint_tensor& t = c.tensors[i++];
                INFO("entry " << t.key);
                CHECK(e.key == t.key);
                CHECK(e.dtype == t.dtype);
                CHECK(std::vector<std::size_t>(e.shape.begin(), e.shape.end()) == t.shape);
            }
            auto model = std::make_unique<M>();
            typenet::load_state_dict(*model, c);
            CHECK(parity::error_of(*model, n, n + ".output.bin") <= 1e-5);
            typenet::save_state_dict(*model, parity::path_of(n + ".typenet.pth"));
        }
    }
};

}  // namespace

TEST_CASE("recurrent: every reference model reproduces PyTorch's state_dict and outputs") {
    reference::for_each_recurrent_model(parity::check_model{}, check_model_float{});
}
