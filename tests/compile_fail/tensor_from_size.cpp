// Five values for a tensor of four: a braced list's length is known when compiling.
// sizes: 5 4
// message: Tensor::from: the number of values (first number)
#include <typenet/tensor.hpp>

auto t = typenet::Tensor<float, 2, 2>::from({1, 2, 3, 4, 5});
