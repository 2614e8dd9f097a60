// torchvision's EfficientNet-B0 (torchvision/models/efficientnet.py, v0.14) as typenet types: the
// same children, registered in the same order, so the state_dict keys are torchvision's.
//
//     using Net = torchvision::efficientnet_b0<>;   // torchvision.models.efficientnet_b0(num_classes=1000)
#pragma once

#include <cstddef>
#include <type_traits>
#include <utility>

#include <typenet/typenet.hpp>

#include "ops.hpp"

namespace torchvision {

using namespace typenet;

// StochasticDepth's probability for block `Id` of 16: 0.2 * Id / 16, written as torchvision
// computes it ("0.0125" for block 1). It does nothing at inference; the type keeps it.
template <std::size_t Id>
constexpr auto stochastic_depth_probability() {
    constexpr std::size_t ten_thousandths = 2000 * Id / 16;  // exact: 125 * Id
    fixed_string<6> text;
    const char digits[] = "0123456789";
    text.chars[0] = '0';
    text.chars[1] = '.';
    text.chars[2] = digits[ten_thousandths / 1000 % 10];
    text.chars[3] = digits[ten_thousandths / 100 % 10];
    text.chars[4] = digits[ten_thousandths / 10 % 10];
    text.chars[5] = digits[ten_thousandths % 10];
    return text;
}

// MBConv(cnf, stochastic_depth_prob): block = [1x1 expansion when the ratio is not 1], depthwise
// k x k, squeeze-and-excitation (input_channels / 4 squeezed channels), 1x1 projection without
// activation; the result plus x when stride is 1 and the channels are kept.
template <std::size_t ExpandRatio, std::size_t Kernel, std::size_t Stride, std::size_t In, std::size_t Out, std::size_t Id>
struct MBConv_ {
    static constexpr std::size_t expanded = In * ExpandRatio;
    static constexpr std::size_t squeeze = In / 4 > 1 ? In / 4 : 1;
    using depthwise_se_project =
        Sequential<Conv2dNormActivation<expanded, expanded, Kernel, Stride, expanded, SiLU>,
                   SqueezeExcitation<expanded, squeeze, SiLU>, Conv2dNorm<expanded, Out, 1>>;
    using block = std::conditional_t<
        expanded == In, depthwise_se_project,
        Sequential<Conv2dNormActivation<In, expanded, 1, 1, 1, SiLU>,
                   Conv2dNormActivation<expanded, expanded, Kernel, Stride, expanded, SiLU>,
                   SqueezeExcitation<expanded, squeeze, SiLU>, Conv2dNorm<expanded, Out, 1>>>;
    static constexpr bool use_res_connect = Stride == 1 && In == Out;
    using type = Block<
        Named<"block", block>,
        Named<"stochastic_depth", StochasticDepth<stochastic_depth_probability<Id>(), "row">>,
        Forward<std::conditional_t<use_res_connect, Add<Call<"block", "stochastic_depth">, Identity>, Call<"block">>>>;
};
template <std::size_t ExpandRatio, std::size_t Kernel, std::size_t Stride, std::size_t In, std::size_t Out, std::size_t Id>
using MBConv = typename MBConv_<ExpandRatio, Kernel, Stride, In, Out, Id>::type;

// One stage of MBConvConfig(expand_ratio, kernel, stride, input_channels, out_channels, num_layers):
// the first block strides and changes the channels; blocks are numbered from FirstId.
template <std::size_t ExpandRatio, std::size_t Kernel, std::size_t Stride, std::size_t In, std::size_t Out,
          std::size_t Layers, std::size_t FirstId, class Rest = std::make_index_sequence<Layers - 1>>
struct stage;
template <std::size_t ExpandRatio, std::size_t Kernel, std::size_t Stride, std::size_t In, std::size_t Out,
          std::size_t Layers, std::size_t FirstId, std::size_t... I>
struct stage<ExpandRatio, Kernel, Stride, In, Out, Layers, FirstId, std::index_sequence<I...>> {
    using type = Sequential<MBConv<ExpandRatio, Kernel, Stride, In, Out, FirstId>,
                            MBConv<ExpandRatio, Kernel, 1, Out, Out, FirstId + 1 + I>...>;
};

template <std::size_t NumClasses = 1000>
using efficientnet_b0 = Block<
    Named<"features", Sequential<
        Conv2dNormActivation<3, 32, 3, 2, 1, SiLU>,
        //                t  k  s   in  out  n  first block
        typename stage<1, 3, 1, 32, 16, 1, 0>::type,
        typename stage<6, 3, 2, 16, 24, 2, 1>::type,
        typename stage<6, 5, 2, 24, 40, 2, 3>::type,
        typename stage<6, 3, 2, 40, 80, 3, 5>::type,
        typename stage<6, 5, 1, 80, 112, 3, 8>::type,
        typename stage<6, 5, 2, 112, 192, 4, 11>::type,
        typename stage<6, 3, 1, 192, 320, 1, 15>::type,
        Conv2dNormActivation<320, 1280, 1, 1, 1, SiLU>>>,
    Named<"avgpool", AdaptiveAvgPool2d<1, 1>>,
    Named<"classifier", Sequential<Dropout<"0.2">, Linear<1280, NumClasses>>>,
    Forward<Then<Call<"features", "avgpool">, Flatten, Call<"classifier">>>>;

}  // namespace torchvision
