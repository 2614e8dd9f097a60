// Inside a Block, a child's own rule is reported at the child's path, although the shortcut
// (registered after it) runs first in the expression.
// path: block.fc
// sizes: 5 4
// message: Linear: in_features
#include <typenet/typenet.hpp>

using namespace typenet;
using B = Block<Named<"fc", Linear<5, 4>>, Named<"shortcut", Linear<4, 4>>,
                Forward<Add<Call<"shortcut">, Call<"fc">>>>;
Model<Sequential<Named<"block", B>>, Input<4>> model;
