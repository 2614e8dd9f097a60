// The typenet peer's resnet18 (torchvision's, as examples/torchvision/ declares it), in a
// translation unit of its own: its forward passes, one per batch size, are among the costliest
// code of the suite to compile.
#include "models.hpp"
#include "typenet_runner.hpp"
#include "zoo.hpp"

namespace bench::typenet_peer {

registered_model resnet18() { return entry<models::resnet18, zoo::resnet18>(); }

}  // namespace bench::typenet_peer
