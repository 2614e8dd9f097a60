// A real-time audio-style network run one sample at a time: PyTorch's weights (save_weights.py,
// model.py's RealtimeNet), a typenet Stream of the same network, one step() per sample, and the
// time each sample takes against the 20.8 us a sample lasts at 48 kHz.
//
//     python3 save_weights.py realtime.pth && ./realtime_example realtime.pth [--output out.f32]
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <memory>
#include <numbers>
#include <string>
#include <vector>

#include <typenet/typenet.hpp>

using namespace typenet;

// model.py's RealtimeNet over a whole sequence ([T, 1] per sample, as PyTorch runs it): the same
// children under the same names, so the same state_dict keys. The convolution is causal: a
// ConstantPad1d of (3 - 1) * 2 samples of past before it, which a Stream keeps as its state.
using RealtimeNet = Sequential<Named<"dense_in", Linear<1, 8>>, Tanh, Transpose<1, 2>,
                               Named<"pad", ConstantPad1d<4, 0>>, Named<"conv", Conv1d<8, 4, 3, dilation<2>>>, Tanh,
                               Transpose<1, 2>, Named<"gru", GRU<4, 8, batch_first<true>>>,
                               Named<"dense_out", Linear<8, 1>>>;
using Net = Stream<RealtimeNet, Input<1>>;  // one sample in, one out

constexpr double sample_rate = 48000;

// model.py's test_signal: a 440 Hz tone and a 3 kHz one.
float test_signal(std::size_t i) {
    const double t = double(i) / sample_rate;
    return float(0.5 * std::sin(2 * std::numbers::pi * 440 * t) + 0.25 * std::sin(2 * std::numbers::pi * 3000 * t));
}

int main(int argc, char** argv) {
    if (argc != 2 && !(argc == 4 && std::string(argv[2]) == "--output")) {
        std::fprintf(stderr, "usage: %s WEIGHTS.pth [--output OUT.f32]\n", argv[0]);
        return 2;
    }
    try {
        auto net = std::make_unique<Net>();
        load_state_dict(*net, argv[1]);

        Net::state_type state{};  // a new sequence: zero history, zero hidden state
        constexpr std::size_t samples = 48000;  // one second
        std::vector<float> output(samples);
        Net::input_type x;
        Net::output_type y;
        const auto start = std::chrono::steady_clock::now();
        for (std::size_t i = 0; i < samples; ++i) {
            x[0] = test_signal(i);
            net->step(state, x, y);
            output[i] = y[0];
        }
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

        const double per_sample = seconds / samples;
        std::printf("%zu samples (1 s at 48 kHz) in %.2f ms: %.0f ns per sample, real-time factor %.5f "
                    "(%.0fx faster than real time)\n",
                    samples, seconds * 1e3, per_sample * 1e9, per_sample * sample_rate, 1 / (per_sample * sample_rate));
        if (argc == 4) {
            std::ofstream out(argv[3], std::ios::binary);
            out.write(reinterpret_cast<const char*>(output.data()), std::streamsize(output.size() * sizeof(float)));
            if (!out) throw error(std::string("cannot write ") + argv[3]);
        }
    } catch (const typenet::error& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 1;
    }
}
