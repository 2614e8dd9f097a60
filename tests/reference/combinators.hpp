// The typenet side of reference/combinators.py: each type mirrors the PyTorch module of the same name.
#pragma once

#include <typenet/typenet.hpp>

namespace reference {

using namespace typenet;

using combinator_basic_block_downsample = Block<
    Named<"conv1", Conv2d<4, 8, 3, stride<2>, padding<1>, bias<false>>>, Named<"bn1", BatchNorm2d<8>>,
    Named<"relu", ReLU>, Named<"conv2", Conv2d<8, 8, 3, padding<1>, bias<false>>>, Named<"bn2", BatchNorm2d<8>>,
    Named<"downsample", Sequential<Conv2d<4, 8, 1, stride<2>, bias<false>>, BatchNorm2d<8>>>,
    Forward<Then<Add<Call<"conv1", "bn1", "relu", "conv2", "bn2">, Call<"downsample">>, Call<"relu">>>>;

using combinator_registration_order = Block<
    Named<"second", Linear<6, 5>>, Named<"norm", BatchNorm1d<5, eps<"1e-3">>>, Named<"first", Linear<5, 6>>,
    Named<"act", ReLU>,
    Forward<Then<Add<Identity, Call<"act", "first", "act", "second">>, Call<"norm">>>>;

using combinator_gate = Gate<Sequential<AdaptiveAvgPool2d<1, 1>, Conv2d<6, 3, 1>, ReLU, Conv2d<3, 6, 1>>>;

using combinator_residual_list =
    Residual<Sequential<Conv2d<3, 5, 3, padding<1>>, ReLU>, Conv2d<3, 5, 1>, ReLU>;

using combinator_concat_list =
    Concat<Conv2d<3, 2, 1>, Sequential<Conv2d<3, 4, 3, padding<1>>, ReLU>, MaxPool2d<3, stride<1>, padding<1>>>;

using combinator_parameters_cat = Block<
    Named<"scale", Parameter<shape{4, 1, 1}>>, Named<"conv", Conv2d<4, 4, 3, padding<1>>>,
    Named<"offset", Parameter<shape{5}>>,
    Forward<Mul<Cat<dim<2>, Mul<Call<"scale">, Identity>, Add<Call<"conv">, Identity, Call<"offset">>>,
                Call<"offset">>>>;

using combinator_absent = Block<
    Named<"body", Linear<7, 7>>, Named<"shortcut", Absent>, Named<"head", Linear<7, 3>>,
    Forward<Then<Add<Then<Call<"body">, ReLU>, Call<"shortcut">>, Call<"head">>>>;

using combinator_fire = Block<
    Named<"squeeze", Conv2d<4, 3, 1>>, Named<"squeeze_activation", ReLU>,
    Named<"expand1x1", Conv2d<3, 5, 1>>, Named<"expand1x1_activation", ReLU>,
    Named<"expand3x3", Conv2d<3, 6, 3, padding<1>>>, Named<"expand3x3_activation", ReLU>,
    Forward<Then<Call<"squeeze", "squeeze_activation">,
                 Cat<Call<"expand1x1", "expand1x1_activation">, Call<"expand3x3", "expand3x3_activation">>>>>;

using combinator_narrow_shuffle = Block<
    Named<"conv", Conv2d<6, 6, 1>>, Named<"shuffle", ChannelShuffle<3>>,
    Forward<Cat<Then<Call<"conv", "shuffle">, Narrow<2, 1, 3>>, Narrow<2, 1, 3>, Then<Narrow<1, -2, 2>, Narrow<-2, 1, 3>>>>>;

// torchvision.models.shufflenetv2.InvertedResidual(inp, oup, stride).
template <std::size_t In, std::size_t Out, std::size_t Stride>
using shufflenet_branch2 =
    Sequential<Conv2d<In, Out, 1, bias<false>>, BatchNorm2d<Out>, ReLU,
               Conv2d<Out, Out, 3, stride<Stride>, padding<1>, groups<Out>, bias<false>>, BatchNorm2d<Out>,
               Conv2d<Out, Out, 1, bias<false>>, BatchNorm2d<Out>, ReLU>;
using combinator_shufflenet_split = Block<  // stride 1: branch1 is an empty Sequential, no keys
    Named<"branch2", shufflenet_branch2<4, 4, 1>>,
    Forward<Then<Cat<Narrow<1, 0, 4>, Then<Narrow<1, 4, 4>, Call<"branch2">>>, ChannelShuffle<2>>>>;
using combinator_shufflenet_down = Block<
    Named<"branch1", Sequential<Conv2d<6, 6, 3, stride<2>, padding<1>, groups<6>, bias<false>>, BatchNorm2d<6>,
                                Conv2d<6, 4, 1, bias<false>>, BatchNorm2d<4>, ReLU>>,
    Named<"branch2", shufflenet_branch2<6, 4, 2>>,
    Forward<Then<Cat<Call<"branch1">, Call<"branch2">>, ChannelShuffle<2>>>>;

template <class F>
void for_each_combinator_model(F&& f) {
    f.template operator()<combinator_basic_block_downsample, Input<4, 9, 7>>("combinator_basic_block_downsample");
    f.template operator()<combinator_registration_order, Input<5>>("combinator_registration_order");
    f.template operator()<combinator_gate, Input<6, 5, 4>>("combinator_gate");
    f.template operator()<combinator_residual_list, Input<3, 6, 5>>("combinator_residual_list");
    f.template operator()<combinator_concat_list, Input<3, 5, 6>>("combinator_concat_list");
    f.template operator()<combinator_parameters_cat, Input<4, 3, 5>>("combinator_parameters_cat");
    f.template operator()<combinator_absent, Input<7>>("combinator_absent");
    f.template operator()<combinator_fire, Input<4, 7, 7>>("combinator_fire");
    f.template operator()<combinator_narrow_shuffle, Input<6, 5, 4>>("combinator_narrow_shuffle");
    f.template operator()<combinator_shufflenet_split, Input<8, 6, 5>>("combinator_shufflenet_split");
    f.template operator()<combinator_shufflenet_down, Input<6, 7, 6>>("combinator_shufflenet_down");
}

}  // namespace reference
