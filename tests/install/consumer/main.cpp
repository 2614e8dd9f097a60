// A program built against an installed typenet.
#include <typenet/typenet.hpp>

using Net = typenet::Sequential<typenet::Flatten, typenet::Linear<4, 2>, typenet::ReLU>;
using M = typenet::Model<Net, typenet::Input<2, 2>>;
static_assert(M::state_dict[0].key == "1.weight");

int main() {
    M model;
    model.at<"1.bias">()[1] = 3.0f;
    const M::output_type y = model.forward(M::input_type{});
    return y[0] == 0.0f && y[1] == 3.0f ? 0 : 1;
}
