// Writes the weights that CMakeLists.txt embeds into the consumer: zeros, but bias[1] = 3.
#include <memory>

#include "model.hpp"

int main(int argc, char** argv) {
    if (argc != 2) return 2;
    auto model = std::make_unique<M>();
    model->at<"1.bias">()[1] = 3.0f;
    typenet::save_safetensors(*model, argv[1]);
}
