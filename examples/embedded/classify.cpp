// The seed's SimpleMNISTModel with its weights inside the executable: the build saves them with
// PyTorch (save_weights.py) and links the .pth's bytes into this program (CMakeLists.txt:
// typenet_embed_weights), so it runs without any file. It classifies a few made-up images.
//
//     ./embedded_classify                       # the weights inside the program
//     ./embedded_classify --weights other.pth   # the same model loaded from a file
//     ./embedded_classify --output logits.f32   # the logits as float32, for comparisons
//     ./embedded_classify --save copy.pth       # the weights as a file again (torch.load reads it)
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>

#include <typenet/typenet.hpp>

#include "../simple_mnist_model.hpp"
#include "mnist_weights.hpp"  // made by typenet_embed_weights: extern const std::span<const std::byte> mnist_weights;

using Model = typenet::Model<SimpleMNISTModel<>, typenet::Input<1, 28, 28>>;

constexpr std::size_t images = 4;

// Image k: a pattern of values from 0 to 1, exact in float (tests/examples/embedded_example.py makes the same).
float pixel(std::size_t k, std::size_t y, std::size_t x) { return float((y * 28 + x) * (k + 1) % 17) / 16.0f; }

int main(int argc, char** argv) {
    std::string weights_file, output_file, save_file;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string option = argv[i];
        if (option == "--weights") weights_file = argv[i + 1];
        else if (option == "--output") output_file = argv[i + 1];
        else if (option == "--save") save_file = argv[i + 1];
    }
    try {
        auto model = std::make_unique<Model>();
        if (weights_file.empty())
            typenet::load_state_dict(*model, mnist_weights, "the embedded weights");  // any .pth or safetensors bytes
        else
            typenet::load_state_dict(*model, weights_file);
        if (!save_file.empty()) typenet::save_state_dict(*model, save_file);

        std::ofstream output;
        if (!output_file.empty()) output.open(output_file, std::ios::binary);
        for (std::size_t k = 0; k < images; ++k) {
            Model::input_type image;
            for (std::size_t y = 0; y < 28; ++y)
                for (std::size_t x = 0; x < 28; ++x) image(0, y, x) = pixel(k, y, x);
            const Model::output_type logits = model->forward(image);
            std::size_t best = 0;
            for (std::size_t c = 1; c < 10; ++c)
                if (logits[c] > logits[best]) best = c;
            std::printf("image %zu: class %zu (logit %.4f)\n", k, best, double(logits[best]));
            if (output.is_open()) output.write(reinterpret_cast<const char*>(logits.data()), 10 * sizeof(float));
        }
        if (!output_file.empty() && !output) throw typenet::error("cannot write " + output_file);
    } catch (const typenet::error& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 1;
    }
}
