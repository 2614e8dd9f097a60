// What the benchmark driver (main.cpp) sees of a peer: one model, loaded with make_weights.py's
// weights, that runs a batch of the reference inputs. Each peer lives in its own translation unit
// so that typenet's and LibTorch's headers never meet and compile in parallel; this header is
// C++17 because LibTorch 1.13's headers do not compile as C++20 with Clang 14.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

namespace bench {

// One timed configuration of a model: a batch of `batch` samples on `threads` threads. Each
// model's list comes from model_zoo.MODELS, through the header model_zoo.py generates (zoo.hpp);
// the reference files hold as many samples as the largest batch.
struct configuration {
    std::size_t batch;
    int threads;
};

// The distinct batch sizes of a list of configurations, in the order they first appear.
inline std::vector<std::size_t> batches_of(const std::vector<configuration>& configurations) {
    std::vector<std::size_t> out;
    for (const configuration& c : configurations) {
        bool seen = false;
        for (std::size_t b : out) seen = seen || b == c.batch;
        if (!seen) out.push_back(c.batch);
    }
    return out;
}

class runner {
public:
    virtual ~runner() = default;
    // Copies the first `batch` samples of `inputs` into the peer's own input for that batch size.
    virtual void set_input(const std::vector<float>& inputs, std::size_t batch) = 0;
    // The forward pass on that input: what the benchmark times.
    virtual void run(std::size_t batch) = 0;
    // A copy of the output of the last run with `batch` samples.
    virtual std::vector<float> output(std::size_t batch) = 0;
    // Threads for the next runs; false if the peer cannot run with that many.
    virtual bool set_threads(int threads) = 0;
    // How the peer runs this model, for the results ("" if there is nothing to say).
    virtual std::string description() const { return ""; }
};

// The typenet side (typenet_peer.cpp), which also hands out each model's configurations.
struct typenet_model {
    std::string name;
    std::vector<std::size_t> input_shape;         // per sample, e.g. {1, 28, 28}
    std::size_t output_elements;                  // per sample
    double flops_per_image;                       // counted from the type, see flops.hpp
    std::vector<configuration> configurations;    // model_zoo.MODELS' (batch, threads) pairs
};
std::vector<typenet_model> typenet_models();
std::unique_ptr<runner> make_typenet_runner(const std::string& name, const std::string& data_dir);
// The vector width typenet's kernels were compiled for: "512-bit vectors".
std::string typenet_description();

// The LibTorch side (libtorch_peer.cpp): TorchScript from make_weights.py, for these batch sizes.
std::unique_ptr<runner> make_libtorch_runner(const std::string& name, const std::string& data_dir,
                                             const std::vector<std::size_t>& input_shape,
                                             const std::vector<std::size_t>& batches);
// "1.13.0", and the BLAS library LibTorch actually loaded (its path in /proc/self/maps).
std::string libtorch_version();
std::string loaded_blas_library();

// The peak-FMA benchmarks (peak_fma.cpp), registered before the models so that they run first.
void register_peak_benchmarks();
// One core's measured FMA throughput in FLOP/s (peak_fma.cpp): the best the peak benchmark saw in
// this run, or, if it was filtered out, a short measurement made on first use.
double peak_flops_per_core();

}  // namespace bench
