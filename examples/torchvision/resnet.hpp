// torchvision's ResNet (torchvision/models/resnet.py, v0.14) as typenet types: the same children,
// registered in the same order, so the state_dict keys are torchvision's, key for key.
//
//     using Net = torchvision::resnet18<>;   // torchvision.models.resnet18(num_classes=1000)
#pragma once

#include <cstddef>
#include <type_traits>
#include <utility>

#include <typenet/typenet.hpp>

namespace torchvision {

using namespace typenet;

template <std::size_t InPlanes, std::size_t OutPlanes, std::size_t Stride = 1, std::size_t Groups = 1>
using conv3x3 = Conv2d<InPlanes, OutPlanes, 3, stride<Stride>, padding<1>, groups<Groups>, bias<false>>;
template <std::size_t InPlanes, std::size_t OutPlanes, std::size_t Stride = 1>
using conv1x1 = Conv2d<InPlanes, OutPlanes, 1, stride<Stride>, bias<false>>;

// _make_layer's downsample: a strided 1x1 convolution and a BatchNorm, when the block changes the
// shape; None (Absent) otherwise.
template <std::size_t InPlanes, std::size_t OutPlanes, std::size_t Stride>
using downsample = std::conditional_t<Stride != 1 || InPlanes != OutPlanes,
                                      Sequential<conv1x1<InPlanes, OutPlanes, Stride>, BatchNorm2d<OutPlanes>>, Absent>;

template <std::size_t InPlanes, std::size_t Planes, std::size_t Stride = 1>
struct BasicBlock
    : Block<Named<"conv1", conv3x3<InPlanes, Planes, Stride>>,
            Named<"bn1", BatchNorm2d<Planes>>,
            Named<"relu", ReLU>,
            Named<"conv2", conv3x3<Planes, Planes>>,
            Named<"bn2", BatchNorm2d<Planes>>,
            Named<"downsample", downsample<InPlanes, Planes, Stride>>,
            Forward<Then<Add<Call<"conv1", "bn1", "relu", "conv2", "bn2">, Call<"downsample">>, Call<"relu">>>> {
    static constexpr std::size_t expansion = 1;
    static constexpr std::string_view type_name = "BasicBlock";
};

template <std::size_t InPlanes, std::size_t Planes, std::size_t Stride = 1>
struct Bottleneck
    : Block<Named<"conv1", conv1x1<InPlanes, Planes>>,
            Named<"bn1", BatchNorm2d<Planes>>,
            Named<"conv2", conv3x3<Planes, Planes, Stride>>,
            Named<"bn2", BatchNorm2d<Planes>>,
            Named<"conv3", conv1x1<Planes, Planes * 4>>,
            Named<"bn3", BatchNorm2d<Planes * 4>>,
            Named<"relu", ReLU>,
            Named<"downsample", downsample<InPlanes, Planes * 4, Stride>>,
            Forward<Then<Add<Call<"conv1", "bn1", "relu", "conv2", "bn2", "relu", "conv3", "bn3">, Call<"downsample">>,
                         Call<"relu">>>> {
    static constexpr std::size_t expansion = 4;
    static constexpr std::string_view type_name = "Bottleneck";
};

// ResNet._make_layer: `blocks` blocks, the first one with the stride (and the downsample).
template <template <std::size_t, std::size_t, std::size_t> class B, std::size_t InPlanes, std::size_t Planes,
          std::size_t Blocks, std::size_t Stride, class Rest = std::make_index_sequence<Blocks - 1>>
struct make_layer;
template <template <std::size_t, std::size_t, std::size_t> class B, std::size_t InPlanes, std::size_t Planes,
          std::size_t Blocks, std::size_t Stride, std::size_t... I>
struct make_layer<B, InPlanes, Planes, Blocks, Stride, std::index_sequence<I...>> {
    static constexpr std::size_t out = Planes * B<InPlanes, Planes, Stride>::expansion;
    template <std::size_t>
    static constexpr std::size_t after_first = out;  // the input of every block after the first
    using type = Sequential<B<InPlanes, Planes, Stride>, B<after_first<I>, Planes, 1>...>;
};

template <template <std::size_t, std::size_t, std::size_t> class B, std::size_t L1, std::size_t L2, std::size_t L3,
          std::size_t L4, std::size_t NumClasses = 1000>
struct ResNet {
    static constexpr std::size_t e = B<64, 64, 1>::expansion;
    using type = Block<
        Named<"conv1", Conv2d<3, 64, 7, stride<2>, padding<3>, bias<false>>>,
        Named<"bn1", BatchNorm2d<64>>,
        Named<"relu", ReLU>,
        Named<"maxpool", MaxPool2d<3, stride<2>, padding<1>>>,
        Named<"layer1", typename make_layer<B, 64, 64, L1, 1>::type>,
        Named<"layer2", typename make_layer<B, 64 * e, 128, L2, 2>::type>,
        Named<"layer3", typename make_layer<B, 128 * e, 256, L3, 2>::type>,
        Named<"layer4", typename make_layer<B, 256 * e, 512, L4, 2>::type>,
        Named<"avgpool", AdaptiveAvgPool2d<1, 1>>,
        Named<"fc", Linear<512 * e, NumClasses>>,
        Forward<Then<Call<"conv1", "bn1", "relu", "maxpool", "layer1", "layer2", "layer3", "layer4", "avgpool">,
                     Flatten,  // torch.flatten(x, 1)
                     Call<"fc">>>>;
};

template <std::size_t NumClasses = 1000>
using resnet18 = typename ResNet<BasicBlock, 2, 2, 2, 2, NumClasses>::type;
template <std::size_t NumClasses = 1000>
using resnet50 = typename ResNet<Bottleneck, 3, 4, 6, 3, NumClasses>::type;

}  // namespace torchvision
