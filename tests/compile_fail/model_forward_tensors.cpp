// Two Tensors that are neither the model's input and output nor a batch of them: flat buffers of a
// run-time number of samples (std::span) must not take them, since a Tensor's shape is known.
// message: these Tensors are not the Model's input_type and output_type
#include <typenet/typenet.hpp>

using namespace typenet;
using M = Model<Linear<4, 2>, Input<4>, float, 2>;
void run(M& model, const Tensor<float, 8>& in, Tensor<float, 4>& out) { model.forward(in, out); }
