// ChannelShuffle: shapes, the rule it refuses, and where each channel goes.
#include <catch2/catch.hpp>

#include <typenet/layers/channel_shuffle.hpp>
#include <typenet/model.hpp>
#include <typenet/sequential.hpp>

#include <memory>

using namespace typenet;

static_assert(ChannelShuffle<3>::infer({6, 2, 2}).output == shape{6, 2, 2});
static_assert(ChannelShuffle<4>::infer({6, 2}).rule == shape_error::rule::custom, "4 groups do not divide 6 channels");
static_assert(ChannelShuffle<4>::infer({6, 2}).expected == 4 && ChannelShuffle<4>::infer({6, 2}).actual == 6);

TEST_CASE("ChannelShuffle with 3 groups of 2 channels sends input channel g * 2 + j to output channel j * 3 + g") {
    using M = Model<Sequential<ChannelShuffle<3>>, Input<6, 2>>;
    auto model = std::make_unique<M>();
    M::input_type in;
    for (std::size_t i = 0; i < in.size; ++i) in[i] = float(i);
    const M::output_type out = model->forward(in);
    // Input channels 0..5 are groups {0, 1}, {2, 3}, {4, 5}; the output takes the first of each
    // group, then the second: 0, 2, 4, 1, 3, 5.
    const std::size_t expected_channel[6] = {0, 2, 4, 1, 3, 5};
    for (std::size_t c = 0; c < 6; ++c)
        for (std::size_t w = 0; w < 2; ++w) CHECK(out[c * 2 + w] == float(expected_channel[c] * 2 + w));
}
