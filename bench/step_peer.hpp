// LibTorch's recurrent layers as the peer of typenet's step benchmark (step_latency.cpp), behind a
// header free of LibTorch's (whose headers are C++17, typenet's C++20): torch::nn::GRU / LSTM with
// PyTorch's random initialisation, run one step at a time (the hidden state carried between
// calls) or over a whole sequence, at batch 1, under InferenceMode.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace step_peer {

class torch_recurrent {
public:
    // kind: "gru" or "lstm"; one layer, batch_first.
    torch_recurrent(const std::string& kind, int input_size, int hidden_size);
    ~torch_recurrent();
    // named_parameters(): the keys are PyTorch's (weight_ih_l0, ...), the values float32.
    std::vector<std::pair<std::string, std::vector<float>>> parameters() const;
    void reset();                                  // h (and c) back to zero
    void step(const float* x, float* y);           // x: [input_size], y: [hidden_size]
    void sequence(const float* x, int steps, float* y);  // [steps, input_size] -> [steps, hidden_size]

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

void set_threads(int threads);

}  // namespace step_peer
