// output_size (PyTorch's size) and scale_factor together: PyTorch takes exactly one of them.
// message: Upsample: give exactly one of output_size<...> and scale_factor<...>
#include <typenet/typenet.hpp>

using namespace typenet;
Model<Sequential<Upsample<output_size<8>, scale_factor<"2">>>, Input<4, 4, 4>> model;
