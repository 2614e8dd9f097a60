// The deployment side of the main job: the seed's SimpleMNISTModel as a typenet type, loaded from
// the .pth file PyTorch saved (train.py), classifies the 10,000 Fashion-MNIST test images and is
// compared with PyTorch image by image; then it saves the model back for PyTorch to load.
//
//   fashion_mnist_eval [--model saved_models/simple_classifier_weights.pth]
//                      [--predictions saved_models/pytorch_test_predictions.bin]
//                      [--data /usr/share/datasets/fashion-mnist] [--save saved_models/typenet_resaved.pth]
//                      [--json saved_models/typenet_summary.json]
//
// Exit status 1 when typenet and PyTorch disagree: a different class on more than one image, or a
// logit more than 1e-4 away.
#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#ifdef _OPENMP
#include <omp.h>
#endif

#include <typenet/typenet.hpp>

#include "../simple_mnist_model.hpp"
#include "idx.hpp"

namespace {

constexpr std::size_t batch = 100, test_images = 10'000, classes = 10;
constexpr std::size_t min_same_class = 9'999;
constexpr double max_logit_difference = 1e-4;

using Model = typenet::Model<SimpleMNISTModel<classes>, typenet::Input<1, 28, 28>, float, batch>;

struct options {
    std::string model = "saved_models/simple_classifier_weights.pth";
    std::string predictions = "saved_models/pytorch_test_predictions.bin";
    std::string data = "/usr/share/datasets/fashion-mnist";
    std::string save = "saved_models/typenet_resaved.pth";
    std::string json = "saved_models/typenet_summary.json";
};

options parse(int argc, char** argv) {
    options o;
    for (int i = 1; i < argc; ++i) {
        const std::string flag = argv[i];
        std::string* target = flag == "--model" ? &o.model
                            : flag == "--predictions" ? &o.predictions
                            : flag == "--data" ? &o.data
                            : flag == "--save" ? &o.save
                            : flag == "--json" ? &o.json
                                               : nullptr;
        if (!target || i + 1 == argc) {
            std::cerr << "usage: " << argv[0] << " [--model F.pth] [--predictions F.bin] [--data DIR] [--save F.pth] "
                      << "[--json F.json]\n";
            std::exit(2);
        }
        *target = argv[++i];
    }
    return o;
}

// PyTorch's outputs, as train.py writes them: 10000 int64 argmax, then 10000 x 10 float32 logits.
struct pytorch_predictions {
    std::vector<std::int64_t> classes;
    std::vector<float> logits;
};

pytorch_predictions read_predictions(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot open " + path + " (PyTorch's predictions: run train.py first)");
    pytorch_predictions p{std::vector<std::int64_t>(test_images), std::vector<float>(test_images * classes)};
    in.read(reinterpret_cast<char*>(p.classes.data()), std::streamsize(p.classes.size() * sizeof(std::int64_t)));
    in.read(reinterpret_cast<char*>(p.logits.data()), std::streamsize(p.logits.size() * sizeof(float)));
    if (!in || in.peek() != std::char_traits<char>::eof())
        throw std::runtime_error(path + " is not 480,000 bytes of argmax and logits for 10,000 images");
    return p;
}

// Runs the whole test set through the model; returns seconds. Shows progress on stderr.
double classify(Model& model, const fashion_mnist_split& test, std::vector<float>& logits, const char* label) {
    auto images = std::make_unique<Model::batch_input_type<batch>>();
    auto out = std::make_unique<Model::batch_output_type<batch>>();
    const auto start = std::chrono::steady_clock::now();
    for (std::size_t first = 0; first < test.count; first += batch) {
        std::copy_n(test.images.data() + first * 784, batch * 784, images->data());
        model.forward(*images, *out);
        std::copy_n(out->data(), batch * classes, logits.data() + first * classes);
        if ((first / batch) % 10 == 9 || first + batch == test.count)
            std::fprintf(stderr, "\r  %s: %5zu / %zu images", label, first + batch, test.count);
    }
    std::fprintf(stderr, "\n");
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

std::size_t argmax(const float* row) { return std::size_t(std::max_element(row, row + classes) - row); }

}  // namespace

int main(int argc, char** argv) try {
    const options o = parse(argc, argv);
    const fashion_mnist_split test = read_fashion_mnist(o.data, "t10k");
    if (test.count != test_images) throw std::runtime_error("expected 10,000 test images");
    const pytorch_predictions pytorch = read_predictions(o.predictions);

    // The seed's workflow: rebuild the model, load the state_dict, and (always, in typenet) eval().
    auto model = std::make_unique<Model>();
    typenet::load_state_dict(*model, o.model);
    std::cout << "loaded " << o.model << " (" << Model::state_dict.size() << " entries, "
              << Model::parameter_count << " parameters)\n";

    std::vector<float> logits(test_images * classes);
#ifdef _OPENMP
    const int threads = omp_get_max_threads();
    omp_set_num_threads(1);
#endif
    const double seconds = classify(*model, test, logits, "typenet, 1 thread");
    double seconds_all_threads = 0;
#ifdef _OPENMP
    if (threads > 1) {
        std::vector<float> again(logits.size());
        omp_set_num_threads(threads);
        seconds_all_threads = classify(*model, test, again, "typenet, all threads");
        if (again != logits) throw std::runtime_error("the multi-threaded pass gave other logits than the single-threaded one");
    }
#endif

    std::array<std::size_t, classes> correct{}, total{};
    std::size_t same_class = 0;
    double max_difference = 0;
    for (std::size_t i = 0; i < test_images; ++i) {
        const std::size_t predicted = argmax(&logits[i * classes]);
        ++total[test.labels[i]];
        correct[test.labels[i]] += predicted == test.labels[i];
        same_class += predicted == std::size_t(pytorch.classes[i]);
        for (std::size_t k = 0; k < classes; ++k)
            max_difference = std::max(max_difference, double(std::abs(logits[i * classes + k] - pytorch.logits[i * classes + k])));
    }
    std::size_t all_correct = 0, pytorch_correct = 0;
    for (std::size_t c = 0; c < classes; ++c) all_correct += correct[c];
    for (std::size_t i = 0; i < test_images; ++i) pytorch_correct += std::size_t(pytorch.classes[i]) == test.labels[i];
    const double accuracy = double(all_correct) / test_images;

    std::printf("\n%-12s %9s\n", "class", "accuracy");
    for (std::size_t c = 0; c < classes; ++c)
        std::printf("%-12s %8.2f%%  (%zu / %zu)\n", std::string(fashion_mnist_class_names[c]).c_str(),
                    100.0 * double(correct[c]) / double(total[c]), correct[c], total[c]);
    std::printf("\ntypenet accuracy:  %.2f%% (%zu / %zu)\n", 100 * accuracy, all_correct, test_images);
    std::printf("PyTorch accuracy:  %.2f%% (its own predictions, from %s)\n", 100.0 * double(pytorch_correct) / test_images,
                o.predictions.c_str());
    std::printf("agreement:         same class on %zu of %zu images; max |logit difference| %.3g\n", same_class,
                test_images, max_difference);
    std::printf("throughput:        %.0f images/s on 1 thread", test_images / seconds);
    if (seconds_all_threads > 0) std::printf(", %.0f on all threads", test_images / seconds_all_threads);
    std::printf(" (batches of %zu)\n", batch);

    typenet::save_state_dict(*model, o.save);
    std::printf("saved the model with typenet to %s\n", o.save.c_str());

    std::ofstream json(o.json);
    json << "{\n  \"accuracy\": " << accuracy << ",\n  \"same_class\": " << same_class
         << ",\n  \"max_logit_difference\": " << max_difference << ",\n  \"images_per_second_1_thread\": "
         << test_images / seconds << ",\n  \"images_per_second_all_threads\": "
         << (seconds_all_threads > 0 ? test_images / seconds_all_threads : 0.0) << ",\n  \"saved\": \"" << o.save
         << "\"\n}\n";

    const bool agrees = same_class >= min_same_class && max_difference <= max_logit_difference;
    if (!agrees)
        std::printf("FAILED: typenet must give PyTorch's class on at least %zu images and logits within %g\n",
                    min_same_class, max_logit_difference);
    return agrees ? 0 : 1;
} catch (const std::exception& e) {
    std::cerr << "fashion_mnist_eval: " << e.what() << '\n';
    return 1;
}
