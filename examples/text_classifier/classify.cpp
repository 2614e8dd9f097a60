// A Transformer text classifier over token ids, with the weights PyTorch saved (save_weights.py,
// model.py's TextClassifier): the ids given on the command line, padded with 0 to 32 positions,
// and the three logits and the class it picks.
//
//     python3 save_weights.py classifier.pth && ./text_classify classifier.pth 17 42 5
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include <typenet/typenet.hpp>

using namespace typenet;

// model.py's TextClassifier: its attributes in registration order (`pos`, an nn.Parameter, comes
// first in the state_dict, as PyTorch puts a module's own parameters before its children's).
using TextClassifier = Block<
    Named<"embedding", Embedding<1000, 64, padding_idx<0>>>,
    Named<"pos", Parameter<shape{32, 64}>>,
    Named<"encoder", TransformerEncoder<TransformerEncoderLayer<64, 4, 256, activation<"gelu">, batch_first<true>>, 2,
                                        final_norm<LayerNorm<64>>>>,
    Named<"head", Linear<64, 3>>,
    Forward<Then<Add<Call<"embedding">, Call<"pos">>, Call<"encoder">, Mean<1>, Call<"head">>>>;
using Classifier = Model<TextClassifier, Tokens<32>>;

int main(int argc, char** argv) {
    if (argc < 3 || argc > 2 + 32) {
        std::fprintf(stderr, "usage: %s WEIGHTS.pth ID... (1 to 32 token ids)\n", argv[0]);
        return 2;
    }
    try {
        auto model = std::make_unique<Classifier>();
        load_state_dict(*model, argv[1]);

        Classifier::input_type ids{};  // 0 is the padding id
        for (int i = 2; i < argc; ++i) ids[std::size_t(i - 2)] = std::strtoll(argv[i], nullptr, 10);
        const Classifier::output_type logits = model->forward(ids);  // throws if an id is out of range

        std::size_t best = 0;
        for (std::size_t c = 0; c < 3; ++c) {
            std::printf("logit %zu %.6f\n", c, double(logits[c]));
            if (logits[c] > logits[best]) best = c;
        }
        std::printf("class %zu\n", best);
    } catch (const typenet::error& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 1;
    }
}
