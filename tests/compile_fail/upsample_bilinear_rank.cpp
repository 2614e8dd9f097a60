// Bilinear upsampling of a sequence: mode bilinear takes [C, H, W] (linear is for [C, L]).
// path: up
// sizes: 3 2
// message: takes a per-sample input [C, H, W] of rank 3
#include <typenet/typenet.hpp>

using namespace typenet;
Model<Sequential<Named<"up", Upsample<scale_factor<"2">, mode<"bilinear">>>>, Input<4, 16>> model;
