// The seed's model with in_features=2000 where 128*4*4 = 2048 values arrive.
// path: classifier.1
// sizes: 2000 2048
// message: Linear: in_features
#include <typenet/typenet.hpp>

using namespace typenet;
using Broken = Sequential<
    Named<"features", Sequential<Conv2d<1, 32, 3, padding<1>>, ReLU, MaxPool2d<2, stride<2>>,
                                 Conv2d<32, 64, 3, padding<1>>, ReLU, MaxPool2d<2, stride<2>>,
                                 Conv2d<64, 128, 3, padding<1>>, ReLU, AdaptiveAvgPool2d<4, 4>>>,
    Named<"classifier", Sequential<Flatten, Linear<2000, 256>, ReLU, Linear<256, 10>>>>;
Model<Broken, Input<1, 28, 28>> model;
