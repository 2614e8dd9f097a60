// LastStep: the last time step of a sequence [T, F] -> [F], PyTorch's `output[:, -1, :]` (batch
// first) or `output[-1]` (time first): the usual head "LSTM, then Linear on the last output".
// Higher ranks keep the dimensions after the first: [T, A, B] -> [A, B].
//
//     using Net = typenet::Sequential<typenet::LSTM<8, 32>, typenet::LastStep, typenet::Linear<32, 4>>;
//     using M = typenet::Model<Net, typenet::Input<100, 8>>;
//     static_assert(M::output_shape == typenet::shape{4});
//
// In a Stream (stream.hpp) every step is the last one so far: a step's output is its input, and
// the stream's output at step t is the whole-sequence output of the first t + 1 steps.
#pragma once

#include <array>
#include <cstddef>
#include <string_view>

#include "../backward.hpp"
#include "../layer.hpp"

namespace typenet {

struct LastStep {
    static constexpr std::string_view type_name = "LastStep";
    static constexpr std::array<state_spec, 0> state{};

    static constexpr shape_check infer(shape in) {
        if (in.rank < 2)
            return fail("LastStep: takes a sequence [T, features] of rank at least 2 (first number); the input "
                        "has rank (second number, the batch not counted)",
                        2, in.rank);
        shape out;
        out.rank = in.rank - 1;
        for (std::size_t i = 1; i < in.rank; ++i) out.dims[i - 1] = in[i];
        return {out};
    }

    template <class T, shape In, std::size_t N>
    static void propagate(layer_params<LastStep, T>, const T* in, T* out) {
        constexpr std::size_t step = In.numel() / In[0];
        for (std::size_t n = 0; n < N; ++n)
            for (std::size_t i = 0; i < step; ++i) out[n * step + i] = in[n * In.numel() + (In[0] - 1) * step + i];
    }

    // Training (backward.hpp): the gradient goes to the last step, the earlier steps get 0.
    template <class T, shape In, std::size_t N>
    static void backward(const backward_pass<LastStep, T>& p) {
        if (!p.grad_in) return;
        constexpr std::size_t step = In.numel() / In[0];
        for (std::size_t n = 0; n < N; ++n) {
            T* sample = p.grad_in + n * In.numel();
            for (std::size_t i = 0; i < (In[0] - 1) * step; ++i) sample[i] = T(0);
            for (std::size_t i = 0; i < step; ++i) sample[(In[0] - 1) * step + i] = p.grad_out[n * step + i];
        }
    }

    // Streaming: no memory; a step passes through.
    static constexpr shape_check step_infer(shape step_in) { return {step_in}; }
    template <class T, shape StepIn>
    static constexpr std::size_t step_state_size() {
        return 0;
    }
    template <class T, shape StepIn>
    static void step(layer_params<LastStep, T>, T*, const T* in, T* out) {
        for (std::size_t i = 0; i < StepIn.numel(); ++i) out[i] = in[i];
    }
};

}  // namespace typenet
