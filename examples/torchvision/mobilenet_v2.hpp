// torchvision's MobileNetV2 (torchvision/models/mobilenetv2.py, v0.14) as typenet types: the same
// children, registered in the same order, so the state_dict keys are torchvision's.
//
//     using Net = torchvision::mobilenet_v2<>;   // torchvision.models.mobilenet_v2(num_classes=1000)
#pragma once

#include <cstddef>
#include <type_traits>

#include <typenet/typenet.hpp>

#include "ops.hpp"

namespace torchvision {

using namespace typenet;

template <std::size_t In, std::size_t Out, std::size_t Kernel = 3, std::size_t Stride = 1, std::size_t Groups = 1>
using ConvBNReLU6 = Conv2dNormActivation<In, Out, Kernel, Stride, Groups, ReLU6>;

// InvertedResidual(inp, oup, stride, expand_ratio): conv = [1x1 expansion when the ratio is not 1],
// depthwise 3x3, 1x1 projection and its BatchNorm; x + conv(x) when stride is 1 and inp == oup.
template <std::size_t Inp, std::size_t Oup, std::size_t Stride, std::size_t ExpandRatio>
struct InvertedResidual_ {
    static constexpr std::size_t hidden = Inp * ExpandRatio;
    using depthwise_and_project = Sequential<ConvBNReLU6<hidden, hidden, 3, Stride, hidden>,
                                             Conv2d<hidden, Oup, 1, bias<false>>, BatchNorm2d<Oup>>;
    using conv = std::conditional_t<
        ExpandRatio == 1, depthwise_and_project,
        Sequential<ConvBNReLU6<Inp, hidden, 1>, ConvBNReLU6<hidden, hidden, 3, Stride, hidden>,
                   Conv2d<hidden, Oup, 1, bias<false>>, BatchNorm2d<Oup>>>;
    static constexpr bool use_res_connect = Stride == 1 && Inp == Oup;
    using type = Block<Named<"conv", conv>,
                       Forward<std::conditional_t<use_res_connect, Add<Call<"conv">, Identity>, Call<"conv">>>>;
};
template <std::size_t Inp, std::size_t Oup, std::size_t Stride, std::size_t ExpandRatio>
using InvertedResidual = typename InvertedResidual_<Inp, Oup, Stride, ExpandRatio>::type;

template <std::size_t NumClasses = 1000>
using mobilenet_v2 = Block<
    Named<"features", Sequential<
        ConvBNReLU6<3, 32, 3, 2>,
        // t, c, n, s: 1, 16, 1, 1
        InvertedResidual<32, 16, 1, 1>,
        // 6, 24, 2, 2
        InvertedResidual<16, 24, 2, 6>, InvertedResidual<24, 24, 1, 6>,
        // 6, 32, 3, 2
        InvertedResidual<24, 32, 2, 6>, InvertedResidual<32, 32, 1, 6>, InvertedResidual<32, 32, 1, 6>,
        // 6, 64, 4, 2
        InvertedResidual<32, 64, 2, 6>, InvertedResidual<64, 64, 1, 6>, InvertedResidual<64, 64, 1, 6>,
        InvertedResidual<64, 64, 1, 6>,
        // 6, 96, 3, 1
        InvertedResidual<64, 96, 1, 6>, InvertedResidual<96, 96, 1, 6>, InvertedResidual<96, 96, 1, 6>,
        // 6, 160, 3, 2
        InvertedResidual<96, 160, 2, 6>, InvertedResidual<160, 160, 1, 6>, InvertedResidual<160, 160, 1, 6>,
        // 6, 320, 1, 1
        InvertedResidual<160, 320, 1, 6>,
        ConvBNReLU6<320, 1280, 1>>>,
    Named<"classifier", Sequential<Dropout<"0.2">, Linear<1280, NumClasses>>>,
    // features, nn.functional.adaptive_avg_pool2d(x, (1, 1)), torch.flatten(x, 1), classifier
    Forward<Then<Call<"features">, AdaptiveAvgPool2d<1, 1>, Flatten, Call<"classifier">>>>;

}  // namespace torchvision
