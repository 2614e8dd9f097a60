// size and scale_factor together: PyTorch takes exactly one of them.
// message: Upsample: give exactly one of size<...> and scale_factor<...>
#include <typenet/typenet.hpp>

using namespace typenet;
Model<Sequential<Upsample<size<8>, scale_factor<"2">>>, Input<4, 4, 4>> model;
