// The LibTorch peer: make_weights.py's TorchScript of each model, loaded with torch::jit::load,
// optimised for inference, and run under InferenceMode with torch::set_num_threads threads. Its BLAS is whatever libblas.so.3
// the system resolves; the suite records which (loaded_blas_library) and scripts/bench.sh
// requires OpenBLAS, since the reference BLAS is some 20x slower and would flatter typenet.
#include <algorithm>
#include <cstdint>
#include <fstream>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <torch/script.h>
#include <torch/utils.h>
#include <torch/version.h>

#include "runner.hpp"

namespace bench {
namespace {

class libtorch_runner final : public runner {
public:
    libtorch_runner(const std::string& name, const std::string& data_dir, const std::vector<std::size_t>& input_shape,
                    const std::vector<std::size_t>& batches)
        : sample_shape_(input_shape.begin(), input_shape.end()) {
        for (std::size_t batch : batches) tensors_[batch] = {};
        const std::string file = data_dir + "/" + name + ".pt";
        // What a deployment does, so the strongest LibTorch there is to compare with: freeze
        // (weights become constants, BatchNorm folds into the convolutions), then
        // optimize_for_inference (oneDNN's prepacked convolutions). The latter cannot run every
        // graph (oneDNN's adaptive_avg_pool2d needs divisible sizes): then frozen it is.
        module_ = torch::jit::freeze(eval(torch::jit::load(file)));
        mode_ = "frozen";
        try {
            torch::jit::Module loaded = eval(torch::jit::load(file));
            torch::jit::Module optimized = torch::jit::optimize_for_inference(loaded);
            for (std::size_t batch : batches) {
                const torch::Tensor x = torch::randn(shape_of(batch));
                c10::InferenceMode guard;
                const torch::Tensor expected = module_.forward({x}).toTensor();
                const torch::Tensor actual = optimized.forward({x}).toTensor().to_dense();
                const double scale = expected.abs().max().item<double>();
                if ((actual - expected).abs().max().item<double>() > 1e-5 * scale)
                    throw std::runtime_error("outputs differ from the frozen module's");
            }
            module_ = optimized;
            mode_ = "optimize_for_inference";
        } catch (const std::exception& e) {
            const std::string why = e.what();
            mode_ = "frozen; optimize_for_inference failed: " + why.substr(why.rfind('\n', why.size() - 2) + 1);
            if (!mode_.empty() && mode_.back() == '\n') mode_.pop_back();
        }
    }

    void set_input(const std::vector<float>& inputs, std::size_t batch) override {
        torch::Tensor t = torch::empty(shape_of(batch));
        if (inputs.size() < std::size_t(t.numel())) throw std::runtime_error("LibTorch peer: fewer inputs than the batch needs");
        std::copy_n(inputs.data(), t.numel(), t.data_ptr<float>());
        tensors_for(batch).input = t;
    }

    void run(std::size_t batch) override {
        c10::InferenceMode guard;
        tensors& t = tensors_for(batch);
        t.output = module_.forward({t.input}).toTensor();
    }

    std::vector<float> output(std::size_t batch) override {
        const torch::Tensor out = tensors_for(batch).output.contiguous();
        return {out.data_ptr<float>(), out.data_ptr<float>() + out.numel()};
    }

    bool set_threads(int threads) override {
        torch::set_num_threads(threads);
        return true;
    }

    std::string description() const override { return mode_; }

private:
    static torch::jit::Module eval(torch::jit::Module m) {
        m.eval();
        return m;
    }
    std::vector<std::int64_t> shape_of(std::size_t batch) const {
        std::vector<std::int64_t> shape{std::int64_t(batch)};
        shape.insert(shape.end(), sample_shape_.begin(), sample_shape_.end());
        return shape;
    }

    struct tensors {
        torch::Tensor input, output;
    };
    tensors& tensors_for(std::size_t batch) {
        const auto it = tensors_.find(batch);
        if (it == tensors_.end())
            throw std::runtime_error("LibTorch peer: no batch of " + std::to_string(batch) +
                                     " in the model's configurations");
        return it->second;
    }

    std::vector<std::int64_t> sample_shape_;
    torch::jit::Module module_;
    std::string mode_;
    std::map<std::size_t, tensors> tensors_;  // per batch size of the model's configurations
};

}  // namespace

std::unique_ptr<runner> make_libtorch_runner(const std::string& name, const std::string& data_dir,
                                             const std::vector<std::size_t>& input_shape,
                                             const std::vector<std::size_t>& batches) {
    return std::make_unique<libtorch_runner>(name, data_dir, input_shape, batches);
}

std::string libtorch_version() { return TORCH_VERSION; }

// The first mapped file whose name says BLAS: LibTorch links libblas.so.3, and the alternatives
// system decides which library that is.
std::string loaded_blas_library() {
    std::ifstream maps("/proc/self/maps");
    for (std::string line; std::getline(maps, line);) {
        const std::size_t path = line.find('/');
        if (path != std::string::npos && line.find("blas", path) != std::string::npos) return line.substr(path);
    }
    return "none loaded";
}

}  // namespace bench
