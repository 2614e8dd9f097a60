// LibTorch's side of step_peer.hpp.
#include "step_peer.hpp"

#include <cstring>
#include <stdexcept>

#include <torch/script.h>
#include <torch/torch.h>
#include <torch/version.h>

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

std::vector<std::pair<std::string, std::size_t>> torch_recurrent::parameters() const {
    std::vector<std::pair<std::string, std::size_t>> out;
    for (const auto& p : impl_->module().named_parameters()) out.emplace_back(p.key(), std::size_t(p.value().numel()));
    return out;
}

void torch_recurrent::set_parameter(const std::string& key, const float* values, std::size_t count) {
    auto named = impl_->module().named_parameters();  // handles sharing the parameters' storage
    torch::Tensor* p = named.find(key);
    if (!p || std::size_t(p->numel()) != count)
        throw std::runtime_error("step peer: LibTorch's module has no parameter " + key + " of " +
                                 std::to_string(count) + " values");
    // In place: the module's list of weights for its kernel refers to these very tensors.
    torch::NoGradGuard no_grad;
    p->copy_(torch::from_blob(const_cast<float*>(values), p->sizes()));
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

struct torch_script::impl {
    torch::jit::Module module;
};

torch_script::torch_script(const std::string& file) : impl_(std::make_unique<impl>()) {
    torch::jit::Module m = torch::jit::load(file);
    m.eval();
    // As the main suite's LibTorch peer (libtorch_peer.cpp): frozen, the weights constants.
    impl_->module = torch::jit::freeze(m);
}

torch_script::~torch_script() = default;

void torch_script::forward(const float* x, const std::vector<std::int64_t>& shape, float* y) {
    c10::InferenceMode guard;
    const torch::Tensor input = torch::from_blob(const_cast<float*>(x), shape);
    const torch::Tensor out = impl_->module.forward({input}).toTensor().contiguous();
    std::memcpy(y, out.data_ptr<float>(), sizeof(float) * std::size_t(out.numel()));
}

void set_threads(int threads) { torch::set_num_threads(threads); }

std::string version() { return TORCH_VERSION; }

}  // namespace step_peer
