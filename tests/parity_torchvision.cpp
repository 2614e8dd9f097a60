// torchvision's models, declared in examples/torchvision/, against torchvision itself: the
// state_dict key for key (names, order, shapes, dtypes), outputs within 1e-5 of PyTorch's relative
// to their scale (float; 1e-10 in double), and files that torchvision's model loads with
// strict=True (reference/check_typenet_files.py). Each model is its own program (TORCHVISION_MODEL),
// so that they compile in parallel.
#include <catch2/catch.hpp>

#include "parity_support.hpp"

#if TORCHVISION_MODEL == 1
#include "../examples/torchvision/resnet.hpp"
using net = torchvision::resnet18<>;
#define MODEL_NAME "resnet18"
constexpr std::size_t entries = 122;  // len(torchvision.models.resnet18().state_dict())
#elif TORCHVISION_MODEL == 2
#include "../examples/torchvision/mobilenet_v2.hpp"
using net = torchvision::mobilenet_v2<>;
#define MODEL_NAME "mobilenet_v2"
constexpr std::size_t entries = 314;
#elif TORCHVISION_MODEL == 3
#include "../examples/torchvision/efficientnet.hpp"
using net = torchvision::efficientnet_b0<>;
#define MODEL_NAME "efficientnet_b0"
constexpr std::size_t entries = 360;
#endif

TEST_CASE("torchvision's " MODEL_NAME ", key for key and value for value") {
    static_assert(typenet::Model<net, typenet::Input<3, 64, 64>>::state_dict.size() == entries);
    parity::check_model{}.template operator()<net, typenet::Input<3, 64, 64>>(MODEL_NAME);
#if TORCHVISION_MODEL == 1
    parity::check_model{}.template operator()<net, typenet::Input<3, 224, 224>>("resnet18_224");
#endif
}
