// LibTorch's side of typenet's sequence benchmark (step_latency.cpp), behind a header free of
// LibTorch's (whose headers are C++17, typenet's C++20), at batch 1 or a given batch, under
// InferenceMode:
//   - torch_recurrent: torch::nn::GRU / LSTM (C++ frontend modules), run one step at a time (the
//     hidden state carried between calls) or over a whole sequence; its parameters are set by key
//     (from typenet's copy of sequence_zoo.py's .pth, so all peers hold PyTorch's values);
//   - torch_script: a TorchScript file (sequence_zoo.py's TransformerEncoder), frozen.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace step_peer {

class torch_recurrent {
public:
    // kind: "gru" or "lstm"; one layer, batch_first.
    torch_recurrent(const std::string& kind, int input_size, int hidden_size);
    ~torch_recurrent();
    // named_parameters()' keys, PyTorch's (weight_ih_l0, ...), and their number of values.
    std::vector<std::pair<std::string, std::size_t>> parameters() const;
    void set_parameter(const std::string& key, const float* values, std::size_t count);
    void reset();                                  // h (and c) back to zero
    void step(const float* x, float* y);           // x: [input_size], y: [hidden_size]
    void sequence(const float* x, int steps, float* y);  // [steps, input_size] -> [steps, hidden_size]

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

class torch_script {
public:
    explicit torch_script(const std::string& file);  // torch::jit::load, eval, freeze
    ~torch_script();
    // x and y of the same shape [batch, per-sample shape...]: the encoder's.
    void forward(const float* x, const std::vector<std::int64_t>& shape, float* y);

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

void set_threads(int threads);
std::string version();

}  // namespace step_peer
