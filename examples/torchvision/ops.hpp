// torchvision.ops building blocks (torchvision/ops/misc.py, v0.14) as typenet types, shared by the
// architectures of this folder.
//
//     using Stem = torchvision::Conv2dNormActivation<3, 32, 3, 2, 1, typenet::SiLU>;  // keys 0.weight, 1.*
#pragma once

#include <cstddef>

#include <typenet/typenet.hpp>

namespace torchvision {

using namespace typenet;

// The convolution of Conv2dNormActivation: padding (k - 1) / 2, no bias (a norm layer follows).
template <std::size_t In, std::size_t Out, std::size_t Kernel, std::size_t Stride, std::size_t Groups>
using conv_before_norm = Conv2d<In, Out, Kernel, stride<Stride>, padding<(Kernel - 1) / 2>, groups<Groups>, bias<false>>;

// Conv2dNormActivation(in, out, kernel_size, stride, groups, activation_layer=Activation): an
// nn.Sequential of the convolution, a BatchNorm2d and the activation.
template <std::size_t In, std::size_t Out, std::size_t Kernel = 3, std::size_t Stride = 1, std::size_t Groups = 1,
          class Activation = ReLU>
using Conv2dNormActivation =
    Sequential<conv_before_norm<In, Out, Kernel, Stride, Groups>, BatchNorm2d<Out>, Activation>;

// The same with activation_layer=None: the convolution and the BatchNorm2d only.
template <std::size_t In, std::size_t Out, std::size_t Kernel = 3, std::size_t Stride = 1, std::size_t Groups = 1>
using Conv2dNorm = Sequential<conv_before_norm<In, Out, Kernel, Stride, Groups>, BatchNorm2d<Out>>;

// SqueezeExcitation(input_channels, squeeze_channels, activation, scale_activation): registers
// avgpool, fc1, fc2, activation, scale_activation; forward returns
// scale_activation(fc2(activation(fc1(avgpool(x))))) * x.
template <std::size_t Channels, std::size_t Squeeze, class Activation = ReLU, class ScaleActivation = Sigmoid>
using SqueezeExcitation = Block<
    Named<"avgpool", AdaptiveAvgPool2d<1, 1>>,
    Named<"fc1", Conv2d<Channels, Squeeze, 1>>,
    Named<"fc2", Conv2d<Squeeze, Channels, 1>>,
    Named<"activation", Activation>,
    Named<"scale_activation", ScaleActivation>,
    Forward<Mul<Call<"avgpool", "fc1", "activation", "fc2", "scale_activation">, Identity>>>;

}  // namespace torchvision
