// The typenet peer's mobilenet_v2 (torchvision's, as examples/torchvision/ declares it), in a
// translation unit of its own: its forward passes, one per batch size, are among the costliest
// code of the suite to compile.
#include "models.hpp"
#include "typenet_runner.hpp"
#include "zoo.hpp"

namespace bench::typenet_peer {

registered_model mobilenet_v2() { return entry<models::mobilenet_v2, zoo::mobilenet_v2>(); }

}  // namespace bench::typenet_peer
