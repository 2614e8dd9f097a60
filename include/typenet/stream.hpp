// Stream: a network run one time step at a time, for real-time use (audio, control, sensors).
// The same network type as the whole-sequence Model, the same state_dict keys and the same
// load/save functions; its input is ONE time step, the whole sequence's per-sample input without
// its time axis (Input<features> for a recurrent layer's [T, features], Input<C> for a Conv1d's
// [C, L]). The user owns the memory of each sequence, a fixed-size state_type whose
// value-initialised state is the start of a sequence (zero history, PyTorch's zero h0).
//
//     using namespace typenet;
//     // Whole sequence, per sample [T, 4]: features -> [T, 8] -> causal conv over time -> [T, 2].
//     using Net = Sequential<Linear<4, 8>, Tanh, Transpose<1, 2>, ConstantPad1d<4, 0>,
//                            Conv1d<8, 8, 3, dilation<2>>, Transpose<1, 2>, Linear<8, 2>>;
//     using S = Stream<Net, Input<4>>;                    // one step: 4 values in, 2 out
//     static_assert(S::output_shape == shape{2});
//     static_assert(S::state_size == 4 * 8);              // the convolution's last (3 - 1) * 2 inputs
//     auto stream = std::make_unique<S>();
//     // typenet::load_state_dict(*stream, "model.pth");  // as a Model, same keys
//     S::state_type state{};                             // start of a sequence
//     S::input_type x{};
//     S::output_type y = stream->step(state, x);         // y: step 0 of Model<Net, Input<T, 4>>'s output
//     stream->reset(state);                              // start again
//
// Running the T steps of a sequence gives the whole-sequence Model's outputs, step t being time
// index t (bit for bit through recurrent layers, which run the same step on the whole sequence;
// within float rounding through Conv1d, whose whole-sequence kernel sums in another order). Layers take part as layer.hpp says (stepwise = true, or a step with memory);
// Sequential steps its children in order; a Block (Residual, a WaveNet or TCN block) runs its
// forward expression on the step's shapes, each combinator on its operands' (Add and Mul step; Cat
// does not: its dim counts the whole sequence's axes), when each child is called once in it (a
// child called twice would need memory per call site):
//
//     using Res = Residual<Sequential<ConstantPad1d<2, 0>, Conv1d<8, 8, 3>, Tanh>>;  // x + tanh(conv(x)), [8, L]
//     static_assert(Stream<Res, Input<8>>::state_size == 2 * 8);                    // a step [8]: 2 past inputs
//
// A layer or combinator that cannot step is a compile error naming its path and the reason.
// step() allocates nothing and branches on no data; everything is inlined into it.
#pragma once

#include <cstddef>
#include <type_traits>

#include "detail/analysis.hpp"
#include "detail/state_block.hpp"
#include "module.hpp"
#include "shape_error.hpp"
#include "tensor.hpp"

namespace typenet {

template <Module Net, class StepShape, class T = float>
class Stream : public detail::state_block<Net, detail::analysis<Net, StepShape::value, true>, T> {
    using analysis = detail::analysis<Net, StepShape::value, true>;
    static constexpr bool steps_fit = analysis::ok;
    // A layer that cannot step, or a step shape it does not take, fails to compile here, naming the
    // layer's path (shape_error.hpp).
    static_assert(sizeof(typename decltype(shape_error::detail::report_type<analysis>())::type) > 0);

public:
    static constexpr shape input_shape = StepShape::value;   // one step
    static constexpr shape output_shape = analysis::counts.output;

    using input_type = tensor_for<T, input_shape>;
    using output_type = tensor_for<T, output_shape>;

    // Scalars of memory across steps (every layer's, in visiting order) and of scratch for a step.
    static constexpr std::size_t state_size = [] {
        if constexpr (steps_fit) return detail::step_state_of<Net, T, input_shape>;
        else return std::size_t(0);
    }();
    static constexpr std::size_t workspace_elements = [] {
        if constexpr (steps_fit) return detail::step_scratch_of<Net, T, input_shape>;
        else return std::size_t(0);
    }();

    // The memory of one sequence. `state_type state{};` is the start of a sequence.
    struct state_type {
        alignas(state_alignment) T values[state_size > 0 ? state_size : 1];
        T* data() { return values; }
        const T* data() const { return values; }
        static constexpr std::size_t size() { return state_size; }
    };

    // One step: y_t from x_t, and the state moves on to t + 1.
    [[gnu::flatten]] void step(state_type& state, const input_type& in, output_type& out) {
        if constexpr (steps_fit)
            detail::step_module<Net, T, input_shape>(this->parameters(), state.values, in.data(), out.data(),
                                                     workspace_);
    }
    output_type step(state_type& state, const input_type& in) {
        output_type out;
        step(state, in, out);
        return out;
    }

    // Back to the start of a sequence.
    static void reset(state_type& state) { state = state_type{}; }

private:
    alignas(state_alignment) T workspace_[workspace_elements > 0 ? workspace_elements : 1];
};

}  // namespace typenet
