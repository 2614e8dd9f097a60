// The seed's SimpleMNISTModel as a typenet type, line for line:
//
//   class SimpleMNISTModel(nn.Module):
//       def __init__(self, num_classes=10):
//           self.features = nn.Sequential(
//               nn.Conv2d(in_channels=1, out_channels=32, kernel_size=3, padding=1), nn.ReLU(),
//               nn.MaxPool2d(kernel_size=2, stride=2),                           # 28x28 -> 14x14
//               nn.Conv2d(in_channels=32, out_channels=64, kernel_size=3, padding=1), nn.ReLU(),
//               nn.MaxPool2d(kernel_size=2, stride=2),                           # 14x14 -> 7x7
//               nn.Conv2d(in_channels=64, out_channels=128, kernel_size=3, padding=1), nn.ReLU(),
//               nn.AdaptiveAvgPool2d((4, 4)))                                    # 7x7 -> 4x4
//           self.classifier = nn.Sequential(
//               nn.Flatten(), nn.Linear(in_features=128*4*4, out_features=256), nn.ReLU(), nn.Dropout(0.5),
//               nn.Linear(in_features=256, out_features=128), nn.ReLU(), nn.Dropout(0.3),
//               nn.Linear(in_features=128, out_features=num_classes))
//       def forward(self, x):
//           return self.classifier(self.features(x))
#pragma once

#include <cstddef>

#include <typenet/typenet.hpp>

template <std::size_t NumClasses = 10>
using SimpleMNISTModel = typenet::Sequential<
    typenet::Named<"features", typenet::Sequential<
        typenet::Conv2d<1, 32, 3, typenet::padding<1>>, typenet::ReLU,
        typenet::MaxPool2d<2, typenet::stride<2>>,                          // 28x28 -> 14x14
        typenet::Conv2d<32, 64, 3, typenet::padding<1>>, typenet::ReLU,
        typenet::MaxPool2d<2, typenet::stride<2>>,                          // 14x14 -> 7x7
        typenet::Conv2d<64, 128, 3, typenet::padding<1>>, typenet::ReLU,
        typenet::AdaptiveAvgPool2d<4, 4>>>,                                 // 7x7 -> 4x4
    typenet::Named<"classifier", typenet::Sequential<
        typenet::Flatten, typenet::Linear<128 * 4 * 4, 256>, typenet::ReLU, typenet::Dropout<"0.5">,
        typenet::Linear<256, 128>, typenet::ReLU, typenet::Dropout<"0.3">,
        typenet::Linear<128, NumClasses>>>>;
