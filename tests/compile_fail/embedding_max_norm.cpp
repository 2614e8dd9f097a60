// Embedding refuses max_norm, saying why: PyTorch's forward renormalises the weight in place.
// message: Embedding: max_norm is not supported: PyTorch's forward renormalises, in place
#include <typenet/typenet.hpp>

using namespace typenet;
Model<Embedding<10, 4, max_norm<"1.0">>, Tokens<3>> model;
