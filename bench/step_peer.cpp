// LibTorch's side of step_peer.hpp.
#include "step_peer.hpp"

#include <cstring>

#include <torch/torch.h>

namespace step_peer {

struct torch_recurrent::impl {
    bool lstm;
    int input_size, hidden_size;
    torch::nn::GRU gru{nullptr};
    torch::nn::LSTM lstm_module{nullptr};
    torch::Tensor h, c;

    torch::nn::Module& module() {
        return lstm ? static_cast<torch::nn::Module&>(*lstm_module) : static_cast<torch::nn::Module&>(*gru);
    }
};

torch_recurrent::torch_recurrent(const std::string& kind, int input_size, int hidden_size)
    : impl_(std::make_unique<impl>()) {
    impl_->lstm = kind == "lstm";
    impl_->input_size = input_size;
    impl_->hidden_size = hidden_size;
    if (impl_->lstm)
        impl_->lstm_module = torch::nn::LSTM(torch::nn::LSTMOptions(input_size, hidden_size).batch_first(true));
    else
        impl_->gru = torch::nn::GRU(torch::nn::GRUOptions(input_size, hidden_size).batch_first(true));
    impl_->module().eval();
    reset();
}

torch_recurrent::~torch_recurrent() = default;

std::vector<std::pair<std::string, std::vector<float>>> torch_recurrent::parameters() const {
    std::vector<std::pair<std::string, std::vector<float>>> out;
    for (const auto& p : impl_->module().named_parameters()) {
        const torch::Tensor t = p.value().detach().contiguous();
        out.emplace_back(p.key(), std::vector<float>(t.data_ptr<float>(), t.data_ptr<float>() + t.numel()));
    }
    return out;
}

void torch_recurrent::reset() {
    impl_->h = torch::zeros({1, 1, impl_->hidden_size});
    impl_->c = torch::zeros({1, 1, impl_->hidden_size});
}

void torch_recurrent::step(const float* x, float* y) {
    c10::InferenceMode guard;
    const torch::Tensor input = torch::from_blob(const_cast<float*>(x), {1, 1, impl_->input_size});
    torch::Tensor out;
    if (impl_->lstm) {
        auto r = impl_->lstm_module->forward(input, std::make_tuple(impl_->h, impl_->c));
        out = std::get<0>(r);
        impl_->h = std::get<0>(std::get<1>(r));
        impl_->c = std::get<1>(std::get<1>(r));
    } else {
        auto r = impl_->gru->forward(input, impl_->h);
        out = std::get<0>(r);
        impl_->h = std::get<1>(r);
    }
    std::memcpy(y, out.contiguous().data_ptr<float>(), sizeof(float) * std::size_t(impl_->hidden_size));
}

void torch_recurrent::sequence(const float* x, int steps, float* y) {
    c10::InferenceMode guard;
    const torch::Tensor input = torch::from_blob(const_cast<float*>(x), {1, steps, impl_->input_size});
    const torch::Tensor out = impl_->lstm ? std::get<0>(impl_->lstm_module->forward(input))
                                          : std::get<0>(impl_->gru->forward(input));
    std::memcpy(y, out.contiguous().data_ptr<float>(), sizeof(float) * std::size_t(steps * impl_->hidden_size));
}

void set_threads(int threads) { torch::set_num_threads(threads); }

}  // namespace step_peer
