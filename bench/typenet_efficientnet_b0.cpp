// The typenet peer's efficientnet_b0 (torchvision's, as examples/torchvision/ declares it), in a
// translation unit of its own: its forward passes, one per batch size, are among the costliest
// code of the suite to compile.
#include "models.hpp"
#include "typenet_runner.hpp"
#include "zoo.hpp"

namespace bench::typenet_peer {

registered_model efficientnet_b0() { return entry<models::efficientnet_b0, zoo::efficientnet_b0>(); }

}  // namespace bench::typenet_peer
