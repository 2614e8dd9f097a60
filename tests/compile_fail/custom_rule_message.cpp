// A user's own layer states its own shape rule and message: here a layer that takes exactly 8
// features receives 6.
// path: head
// sizes: 8 6
// message: EightFeatures: the input's last dimension (second number) must be 8
#include <array>
#include <string_view>

#include <typenet/typenet.hpp>

struct EightFeatures : typenet::Elementwise<EightFeatures> {
    static constexpr std::string_view type_name = "EightFeatures";
    static constexpr typenet::shape_check infer(typenet::shape in) {
        if (in.back() != 8)
            return typenet::fail("EightFeatures: the input's last dimension (second number) must be 8", 8, in.back());
        return {in};
    }
    template <class V> static V apply(V x) { return x; }
};

using namespace typenet;
Model<Sequential<Linear<4, 6>, Named<"head", EightFeatures>>, Input<4>> model;
