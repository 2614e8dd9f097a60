// typenet: neural networks as C++ types. Include this for everything, or the single headers.
#pragma once

#include "layer.hpp"
#include "model.hpp"
#include "module.hpp"
#include "options.hpp"
#include "sequential.hpp"
#include "shape.hpp"
#include "state_dict.hpp"
#include "summary.hpp"
#include "tensor.hpp"

#include "layers/adaptive_avg_pool2d.hpp"
#include "layers/avg_pool2d.hpp"
#include "layers/batch_norm.hpp"
#include "layers/conv2d.hpp"
#include "layers/dropout.hpp"
#include "layers/flatten.hpp"
#include "layers/identity.hpp"
#include "layers/linear.hpp"
#include "layers/max_pool2d.hpp"
#include "layers/relu.hpp"
