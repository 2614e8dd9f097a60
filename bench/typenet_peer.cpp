// The typenet peer: each model of models.hpp as a Model sized for the suite's largest batch,
// loaded from the .pth file make_weights.py saved with torch.save.
#include <algorithm>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#ifdef _OPENMP
#include <omp.h>
#endif

#include <typenet/typenet.hpp>

#include "data.hpp"
#include "flops.hpp"
#include "models.hpp"
#include "runner.hpp"

namespace bench {
namespace {

template <class Net, class In>
class typenet_runner final : public runner {
public:
    using M = typenet::Model<Net, In, float, max_batch>;
    using one_in = typename M::template batch_input_type<1>;
    using one_out = typename M::template batch_output_type<1>;
    using all_in = typename M::template batch_input_type<max_batch>;
    using all_out = typename M::template batch_output_type<max_batch>;

    typenet_runner(const std::string& name, const std::string& data_dir) { load(data_dir + "/" + name); }

    void set_input(const std::vector<float>& inputs, std::size_t batch) override {
        const std::size_t n = batch * M::input_shape.numel();
        if (inputs.size() < n) throw std::runtime_error("typenet peer: fewer inputs than the batch needs");
        check_batch(batch);
        std::memcpy(batch == 1 ? one_in_->data() : all_in_->data(), inputs.data(), n * sizeof(float));
    }

    // Both batch sizes are compile-time constants: one forward pass each, fully inlined.
    void run(std::size_t batch) override {
        check_batch(batch);
        if (batch == 1) model_->forward(*one_in_, *one_out_);
        else model_->forward(*all_in_, *all_out_);
    }

    std::vector<float> output(std::size_t batch) override {
        check_batch(batch);
        if (batch == 1) return {one_out_->begin(), one_out_->end()};
        return {all_out_->begin(), all_out_->end()};
    }

    // typenet splits batches of sample-wise layers (convolutions, pooling) across OpenMP threads;
    // Linear layers run on one thread whatever the count. Built without OpenMP, it has one.
    bool set_threads(int threads) override {
#ifdef _OPENMP
        omp_set_num_threads(threads);
        return true;
#else
        return threads == 1;
#endif
    }

private:
    static void check_batch(std::size_t batch) {
        if (batch != 1 && batch != max_batch)
            throw std::runtime_error("typenet peer: batches of 1 or " + std::to_string(max_batch) + " only");
    }

    // The .pth file PyTorch saved, loaded strictly: keys, shapes and dtypes must be the model's.
    void load(const std::string& prefix) { typenet::load_state_dict(*model_, prefix + ".pth"); }

    // A Model holds its weights and workspace inline (megabytes): heap, not stack.
    std::unique_ptr<M> model_ = std::make_unique<M>();
    std::unique_ptr<one_in> one_in_ = std::make_unique<one_in>();
    std::unique_ptr<one_out> one_out_ = std::make_unique<one_out>();
    std::unique_ptr<all_in> all_in_ = std::make_unique<all_in>();
    std::unique_ptr<all_out> all_out_ = std::make_unique<all_out>();
};

struct registered_model {
    typenet_model info;
    std::unique_ptr<runner> (*make)(const std::string& name, const std::string& data_dir);
};

template <class Net, class In>
registered_model model(const char* name) {
    using R = typenet_runner<Net, In>;
    constexpr std::size_t flops = flops_per_sample<typename R::M>();
    constexpr typenet::shape in = R::M::input_shape;
    return {{name, {in.begin(), in.end()}, R::M::output_shape.numel(), double(flops)},
            [](const std::string& n, const std::string& dir) -> std::unique_ptr<runner> {
                return std::make_unique<R>(n, dir);
            }};
}

// The suite's models, in the order of model_zoo.MODELS.
const std::vector<registered_model>& registry() {
    static const std::vector<registered_model> all{
        model<models::mlp, typenet::Input<1, 28, 28>>("mlp"),
        model<models::simple_mnist, typenet::Input<1, 28, 28>>("simple_mnist"),
        model<models::simple_mnist_bn, typenet::Input<1, 28, 28>>("simple_mnist_bn"),
        model<models::vgg_small, typenet::Input<3, 32, 32>>("vgg_small"),
    };
    return all;
}

}  // namespace

std::vector<typenet_model> typenet_models() {
    std::vector<typenet_model> out;
    for (const registered_model& m : registry()) out.push_back(m.info);
    return out;
}

std::unique_ptr<runner> make_typenet_runner(const std::string& name, const std::string& data_dir) {
    for (const registered_model& m : registry())
        if (m.info.name == name) return m.make(name, data_dir);
    throw std::runtime_error("typenet peer: no model named " + name);
}

std::string typenet_description() { return std::to_string(typenet::detail::vector_bytes * 8) + "-bit vectors"; }

}  // namespace bench
