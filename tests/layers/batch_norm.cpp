#include <catch2/catch.hpp>

#include <typenet/layers/batch_norm.hpp>

using namespace typenet;

// PyTorch's state_dict of nn.BatchNorm2d: weight, bias, running_mean, running_var, num_batches_tracked.
using BN = BatchNorm2d<64>;
static_assert(BN::state.size() == 5);
static_assert(BN::state[0].name == "weight" && BN::state[0].kind == entry_kind::parameter && BN::state[0].initial_value == 1);
static_assert(BN::state[1].name == "bias" && BN::state[1].initial_value == 0);
static_assert(BN::state[2].name == "running_mean" && BN::state[2].kind == entry_kind::buffer);
static_assert(BN::state[3].name == "running_var" && BN::state[3].initial_value == 1);
static_assert(BN::state[4].name == "num_batches_tracked" && BN::state[4].int64 && BN::state[4].shape.rank == 0);
static_assert(BatchNorm2d<3, affine<false>>::state.size() == 3 && BatchNorm2d<3, affine<false>>::state[0].name == "running_mean");
static_assert(BatchNorm2d<3, track_running_stats<false>>::state.size() == 2);
static_assert(BN::eps == 1e-5 && BN::momentum == 0.1);
// momentum=None: a cumulative average of the batches' statistics (training, trainable.hpp).
static_assert(BatchNorm1d<4, momentum<"None">>::cumulative_average && !BN::cumulative_average);
static_assert(BatchNorm1d<4>::infer({4}).ok() && BatchNorm1d<4>::infer({4, 9}).ok());
static_assert(BatchNorm1d<4>::infer({4, 3, 3}).rule == shape_error::rule::input_rank);
static_assert(BatchNorm2d<4>::infer({5, 3, 3}).rule == shape_error::rule::num_features);
static_assert(BatchNorm2d<4>::infer({4, 3}).rule == shape_error::rule::input_rank);
static_assert(BatchNorm1d<4>::type_name == "BatchNorm1d" && BN::type_name == "BatchNorm2d");
