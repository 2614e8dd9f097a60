// Training in C++: the seed's SimpleMNISTModel trained on Fashion-MNIST with typenet, as train.py
// trains it with PyTorch (Adam, lr 1e-3, batches of 64, cross-entropy, Dropout on), then tested
// on the 10,000 test images and saved for PyTorch to load (train.py --verify).
//
//   fashion_mnist_train [--data /usr/share/datasets/fashion-mnist] [--epochs 6] [--max-steps N]
//                       [--seed 0] [--save saved_models/typenet_trained.pth]
//                       [--json saved_models/typenet_training.json] [--throughput-steps 40]
//                       [--init FILE.pth] [--freeze MODULE] [--max-seconds S]
//
// Fine-tuning, the seed's other scenario: --init FILE.pth starts from those weights instead (a model
// PyTorch trained) and --freeze features freezes that module (requires_grad = False on its
// parameters); the program then checks that the frozen parameters' bytes did not change and that
// the test accuracy went up, and exits 1 otherwise.
//
// Before training, it measures its training throughput (images/s, median of 3 runs of
// --throughput-steps steps) on one thread and on all of OpenMP's, for the demo's comparison with
// PyTorch (bench/training_throughput.py); 0 skips that.
// --max-seconds stops training after the step that passes S seconds of training (the demo's time
// budget); the summary says how many steps and epochs were done.
//
// The initial weights are drawn as PyTorch draws them (init.hpp) from --seed; each epoch visits the
// 60,000 training images in a new random order (a Fisher-Yates shuffle driven by std::mt19937_64
// seeded with --seed) in 937 batches of 64; the last 32 images of an order are left out, since a
// Trainable's batch size is a compile-time constant (PyTorch's DataLoader would run a batch of 32).
// Threads: OpenMP's (OMP_NUM_THREADS), used inside the large matrix products.
#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#ifdef _OPENMP
#include <omp.h>
#endif

#include <typenet/adam.hpp>
#include <typenet/init.hpp>
#include <typenet/losses.hpp>
#include <typenet/trainable.hpp>
#include <typenet/typenet.hpp>

#include "../simple_mnist_model.hpp"
#include "idx.hpp"

namespace {

constexpr std::size_t batch = 64, classes = 10;
using Net = typenet::Trainable<SimpleMNISTModel<classes>, typenet::Input<1, 28, 28>, float, batch>;

struct options {
    std::string data = "/usr/share/datasets/fashion-mnist";
    std::string save = "saved_models/typenet_trained.pth";
    std::string json = "saved_models/typenet_training.json";
    std::string init, freeze;
    std::size_t epochs = 6, max_steps = 0, throughput_steps = 40;
    std::uint64_t seed = 0;
    double max_seconds = 0;  // 0: no limit
};

options parse(int argc, char** argv) {
    options o;
    for (int i = 1; i < argc; ++i) {
        const std::string flag = argv[i];
        if (i + 1 == argc) throw std::runtime_error("missing value after " + flag);
        const std::string value = argv[++i];
        if (flag == "--data") o.data = value;
        else if (flag == "--save") o.save = value;
        else if (flag == "--json") o.json = value;
        else if (flag == "--init") o.init = value;
        else if (flag == "--freeze") o.freeze = value;
        else if (flag == "--epochs") o.epochs = std::stoul(value);
        else if (flag == "--max-steps") o.max_steps = std::stoul(value);
        else if (flag == "--seed") o.seed = std::stoull(value);
        else if (flag == "--throughput-steps") o.throughput_steps = std::stoul(value);
        else if (flag == "--max-seconds") o.max_seconds = std::stod(value);
        else throw std::runtime_error("unknown option " + flag);
    }
    return o;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// One training step on the images order[first .. first + batch).
struct trainer {
    Net& net;
    typenet::Adam<Net>& adam;
    const fashion_mnist_split& data;
    std::unique_ptr<Net::batch_input_type<batch>> x = std::make_unique<Net::batch_input_type<batch>>();
    std::unique_ptr<Net::batch_output_type<batch>> logits = std::make_unique<Net::batch_output_type<batch>>();
    std::unique_ptr<Net::batch_output_type<batch>> grad = std::make_unique<Net::batch_output_type<batch>>();
    std::array<std::int64_t, batch> labels{};

    float step(const std::size_t* images) {
        for (std::size_t k = 0; k < batch; ++k) {
            std::copy_n(data.images.data() + images[k] * fashion_mnist_image_size, fashion_mnist_image_size,
                        x->elements + k * fashion_mnist_image_size);
            labels[k] = data.labels[images[k]];
        }
        adam.zero_grad();
        net.forward(*x, *logits);
        const float loss = typenet::cross_entropy(*logits, labels, *grad);
        net.backward(*grad);
        adam.step();
        return loss;
    }
};

// Images per second of `steps` training steps on `threads` threads, the median of 3 runs, on a copy
// of the model (the one that trains is left as it is).
double throughput(const fashion_mnist_split& data, std::size_t steps, int threads) {
#ifdef _OPENMP
    const int all = omp_get_max_threads();
    omp_set_num_threads(threads);
#else
    (void)threads;
#endif
    auto net = std::make_unique<Net>();
    typenet::init_parameters(*net, 1);
    typenet::Adam adam(*net, {.lr = 1e-3});
    trainer t{*net, adam, data};
    std::vector<std::size_t> images(batch);
    std::iota(images.begin(), images.end(), std::size_t(0));
    for (int i = 0; i < 3; ++i) t.step(images.data());  // warm-up
    std::vector<double> runs;
    for (int run = 0; run < 3; ++run) {
        const auto start = std::chrono::steady_clock::now();
        for (std::size_t i = 0; i < steps; ++i) t.step(images.data());
        runs.push_back(double(steps * batch) / seconds_since(start));
    }
#ifdef _OPENMP
    omp_set_num_threads(all);
#endif
    std::sort(runs.begin(), runs.end());
    return runs[1];
}

// Test accuracy with the inference kernels of the trained weights (Model::forward, fused).
double accuracy(Net& net, const fashion_mnist_split& test) {
    std::vector<float> logits(test.count * classes);
    static_cast<Net::model_type&>(net).forward(test.images, logits);
    std::size_t correct = 0;
    for (std::size_t i = 0; i < test.count; ++i) {
        const float* row = logits.data() + i * classes;
        correct += std::size_t(std::max_element(row, row + classes) - row) == test.labels[i];
    }
    return double(correct) / double(test.count);
}

}  // namespace

int main(int argc, char** argv) try {
    const options o = parse(argc, argv);
    const fashion_mnist_split train = read_fashion_mnist(o.data, "train");
    const fashion_mnist_split test = read_fashion_mnist(o.data, "t10k");
#ifdef _OPENMP
    const int threads = omp_get_max_threads();
#else
    const int threads = 1;
#endif
    double one_thread = 0, all_threads = 0;
    if (o.throughput_steps > 0) {
        one_thread = throughput(train, o.throughput_steps, 1);
        all_threads = threads > 1 ? throughput(train, o.throughput_steps, threads) : one_thread;
        std::printf("training throughput (batch %zu, Adam): %.0f images/s on 1 thread, %.0f on %d\n", batch, one_thread,
                    all_threads, threads);
    }

    auto net = std::make_unique<Net>();
    if (o.init.empty()) typenet::init_parameters(*net, o.seed);
    else typenet::load_state_dict(*net, o.init);  // model.load_state_dict(torch.load(path))
    net->manual_seed(o.seed);
    // for p in model.features.parameters(): p.requires_grad = False
    if (!o.freeze.empty()) net->set_requires_grad(o.freeze, false);
    std::vector<std::byte> frozen_before;
    for (const typenet::state_entry& e : Net::named_parameters(o.freeze))
        if (!o.freeze.empty()) frozen_before.insert(frozen_before.end(), net->bytes(e).begin(), net->bytes(e).end());
    const double accuracy_before = o.init.empty() ? 0 : accuracy(*net, test);
    if (!o.init.empty()) std::printf("test accuracy of %s: %.4f\n", o.init.c_str(), accuracy_before);
    typenet::Adam adam(*net, {.lr = 1e-3});
    trainer t{*net, adam, train};
    std::vector<std::size_t> order(train.count);
    std::iota(order.begin(), order.end(), std::size_t(0));
    std::mt19937_64 shuffle(o.seed);

    const std::size_t steps_per_epoch = train.count / batch;
    const std::size_t total = o.max_steps ? std::min(o.max_steps, o.epochs * steps_per_epoch) : o.epochs * steps_per_epoch;
    std::cout << "SimpleMNISTModel in C++: Adam lr 0.001, batch " << batch << ", " << threads << " thread(s), seed "
              << o.seed << ": " << total << " steps (" << steps_per_epoch << " per epoch)\n";
    net->train();
    std::size_t step = 0;
    double training_seconds = 0;
    while (step < total) {
        std::shuffle(order.begin(), order.end(), shuffle);
        const auto epoch_start = std::chrono::steady_clock::now();
        double loss_sum = 0;
        std::size_t i = 0;
        bool out_of_time = false;
        for (; i < steps_per_epoch && step < total && !out_of_time; ++i, ++step) {
            loss_sum += t.step(order.data() + i * batch);
            out_of_time = o.max_seconds > 0 && training_seconds + seconds_since(epoch_start) >= o.max_seconds;
            if ((i + 1) % 100 == 0 || i + 1 == steps_per_epoch || step + 1 == total || out_of_time)
                std::printf("epoch %zu step %zu/%zu loss %.4f\n", step / steps_per_epoch + 1, i + 1, steps_per_epoch,
                            loss_sum / double(i + 1));
        }
        training_seconds += seconds_since(epoch_start);
        if (out_of_time) {
            std::printf("stopping: %.0f s of training reached (--max-seconds)\n", training_seconds);
            break;
        }
    }
    const double images_per_second = double(step * batch) / training_seconds;
    net->eval();
    const double test_accuracy = accuracy(*net, test);
    const double epochs_done = double(step) / double(steps_per_epoch);
    std::printf("trained %zu steps (%.2f epochs) in %.1f s: %.0f images/s on %d thread(s); test accuracy %.4f\n",
                step, epochs_done, training_seconds, images_per_second, threads, test_accuracy);
    int status = 0;
    if (!o.freeze.empty()) {
        std::vector<std::byte> frozen_after;
        for (const typenet::state_entry& e : Net::named_parameters(o.freeze))
            frozen_after.insert(frozen_after.end(), net->bytes(e).begin(), net->bytes(e).end());
        const bool unchanged = frozen_after == frozen_before;
        std::printf("%s (frozen): %zu bytes of parameters %s\n", o.freeze.c_str(), frozen_after.size(),
                    unchanged ? "unchanged" : "CHANGED");
        if (!unchanged) status = 1;
    }
    if (!o.init.empty() && !(test_accuracy > accuracy_before)) {
        std::printf("FAILED: training did not improve the test accuracy (%.4f -> %.4f)\n", accuracy_before, test_accuracy);
        status = 1;
    }
    // Like train.py's --out, the directories of the output files are made when missing.
    for (const std::string& file : {o.save, o.json})
        if (const std::filesystem::path dir = std::filesystem::path(file).parent_path(); !dir.empty())
            std::filesystem::create_directories(dir);
    typenet::save_state_dict(*net, o.save);
    std::cout << "saved " << o.save << " (torch.load + load_state_dict)\n";
    std::ofstream json(o.json);
    json << "{\"test_accuracy\": " << test_accuracy << ", \"steps\": " << step << ", \"epochs\": " << epochs_done
         << ", \"batch_size\": " << batch
         << ", \"training_seconds\": " << training_seconds << ", \"training_images_per_second\": "
         << images_per_second << ", \"threads\": " << threads << ", \"images_per_second_1_thread\": " << one_thread
         << ", \"images_per_second_all_threads\": " << all_threads << "}\n";
    if (!json) throw std::runtime_error("cannot write " + o.json);
    return status;
} catch (const std::exception& e) {
    std::cerr << "fashion_mnist_train: " << e.what() << '\n';
    return 1;
}
