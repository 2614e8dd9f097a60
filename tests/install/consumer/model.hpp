// The consumer's model, shared by the program and the one that makes its weights.
#pragma once

#include <typenet/typenet.hpp>

using Net = typenet::Sequential<typenet::Flatten, typenet::Linear<4, 2>, typenet::ReLU>;
using M = typenet::Model<Net, typenet::Input<2, 2>>;
