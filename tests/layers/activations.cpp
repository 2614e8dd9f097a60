// The activations (hardtanh.hpp ... softplus.hpp): options, names, and the values PyTorch 1.13
// gives at NaN, the infinities and far out, through the vector and the scalar paths alike. The
// expected values were printed by PyTorch 1.13 (the module applied to a float64 tensor of these
// inputs; float32 agrees to the margin), or follow from the formula in the comment of the layer.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstddef>
#include <limits>
#include <vector>

#include <typenet/typenet.hpp>

using namespace typenet;

static_assert(Hardtanh<>::min_val == -1 && Hardtanh<>::max_val == 1 && Hardtanh<"-2", "3">::min_val == -2);
static_assert(ReLU6::min_val == 0 && ReLU6::max_val == 6 && ReLU6::type_name == "ReLU6");
static_assert(Hardtanh<>::type_name == "Hardtanh");
static_assert(LeakyReLU<>::negative_slope == 0.01 && LeakyReLU<"0.2">::negative_slope == 0.2);
static_assert(ELU<>::alpha == 1 && ELU<"0.5">::alpha == 0.5);
static_assert(GELU<>::approximate == "none" && GELU<"tanh">::approximate == "tanh" && GELU<"none">::type_name == "GELU");
static_assert(Softplus<>::beta == 1 && Softplus<>::threshold == 20);
static_assert(Softplus<threshold<"10">, beta<"2">>::beta == 2 && Softplus<threshold<"10">, beta<"2">>::threshold == 10);
static_assert(!options_accepted<void(option_kind::beta, option_kind::threshold), beta<"1">, beta<"2">>);
static_assert(ElementwiseLayer<ReLU6> && ElementwiseLayer<GELU<"tanh">> && ElementwiseLayer<Softplus<>> &&
              ElementwiseLayer<Mish> && ElementwiseLayer<LeakyReLU<>> && ElementwiseLayer<Hardsigmoid>);
static_assert(SiLU::in_place && Sigmoid::sample_wise && Tanh::state.size() == 0);
static_assert(Hardswish::infer({3, 4}).output == shape{3, 4});

namespace {

constexpr double NaN = std::numeric_limits<double>::quiet_NaN();
constexpr double Inf = std::numeric_limits<double>::infinity();

struct expectation {
    double x, y;  // y NaN: NaN expected
};

// Runs the inputs through L::apply_to, repeated to fill Count values (several vectors and a
// scalar tail), and compares each with PyTorch's value.
template <class L, class T, std::size_t Count = 71>
void check_values(const std::vector<expectation>& cases) {
    std::vector<T> values(Count);
    for (std::size_t i = 0; i < Count; ++i) values[i] = T(cases[i % cases.size()].x);
    L::template apply_to<T, Count>(values.data(), values.data());
    for (std::size_t i = 0; i < Count; ++i) {
        const expectation& e = cases[i % cases.size()];
        INFO(L::type_name << " at " << e.x << " (position " << i << ", " << sizeof(T) * 8 << "-bit)");
        if (std::isnan(e.y)) {
            CHECK(std::isnan(values[i]));
        } else if (std::isinf(e.y)) {
            CHECK(values[i] == T(e.y));
        } else {
            CHECK(double(values[i]) == Approx(e.y).margin(1e-6));
        }
    }
}

template <class L>
void check_both(const std::vector<expectation>& cases) {
    check_values<L, float>(cases);
    check_values<L, double>(cases);
}

}  // namespace

TEST_CASE("activations at NaN, infinities and far from 0 give PyTorch's values") {
    // NaN stays NaN everywhere (clamps included); -inf gives NaN where PyTorch's formula multiplies
    // -inf by 0 (GELU, SiLU, Hardswish, Mish), as PyTorch does.
    check_both<ReLU6>({{NaN, NaN}, {Inf, 6}, {-Inf, 0}, {100, 6}, {-100, 0}, {3, 3}, {-3, 0}});
    check_both<Hardtanh<>>({{NaN, NaN}, {Inf, 1}, {-Inf, -1}, {0.5, 0.5}, {-3, -1}});
    check_both<Hardtanh<"-2", "3">>({{NaN, NaN}, {Inf, 3}, {-Inf, -2}, {100, 3}, {-100, -2}, {-1.5, -1.5}});
    check_both<LeakyReLU<"0.2">>({{NaN, NaN}, {Inf, Inf}, {-Inf, -Inf}, {-100, -20}, {-3, -0.6}, {3, 3}});
    check_both<ELU<>>({{NaN, NaN}, {Inf, Inf}, {-Inf, -1}, {100, 100}, {-100, -1}, {-3, std::expm1(-3.0)}});
    check_both<ELU<"0.5">>({{NaN, NaN}, {-Inf, -0.5}, {-3, 0.5 * std::expm1(-3.0)}});
    check_both<GELU<>>({{NaN, NaN}, {Inf, Inf}, {-Inf, NaN}, {100, 100}, {-100, 0}, {-3, -0.00404969409489031},
                        {3, 2.99595030590511}});
    check_both<GELU<"tanh">>({{NaN, NaN}, {Inf, Inf}, {-Inf, NaN}, {100, 100}, {-100, 0}, {-3, -0.0036373920817729943},
                              {3, 2.996362607918227}});
    check_both<SiLU>({{NaN, NaN}, {Inf, Inf}, {-Inf, NaN}, {100, 100}, {-100, 0}, {-3, -0.14227761953270035}});
    check_both<Sigmoid>({{NaN, NaN}, {Inf, 1}, {-Inf, 0}, {100, 1}, {-100, 0}, {-3, 0.04742587317756678}});
    check_both<Tanh>({{NaN, NaN}, {Inf, 1}, {-Inf, -1}, {100, 1}, {-100, -1}, {-3, -0.9950547536867305}});
    check_both<Hardswish>({{NaN, NaN}, {Inf, Inf}, {-Inf, NaN}, {100, 100}, {-100, 0}, {1, 4.0 / 6}, {-3, 0}});
    check_both<Hardsigmoid>({{NaN, NaN}, {Inf, 1}, {-Inf, 0}, {100, 1}, {-100, 0}, {0, 0.5}, {1, 4.0 / 6}});
    check_both<Mish>({{NaN, NaN}, {Inf, Inf}, {-Inf, NaN}, {100, 100}, {-100, 0}, {-3, -0.1456474612756246},
                      {3, 2.9865350049679575}});
    check_both<Softplus<>>({{NaN, NaN}, {Inf, Inf}, {-Inf, 0}, {100, 100}, {-100, 0}, {0, std::log(2.0)},
                            {-3, 0.04858735157374206}, {20.5, 20.5}});
    check_both<Softplus<beta<"2">, threshold<"10">>>({{NaN, NaN}, {Inf, Inf}, {-Inf, 0}, {0, std::log(2.0) / 2},
                                                     {3, 3.001237842568865}, {5.5, 5.5}});
}

TEST_CASE("activations in place and not give the same values") {
    float in[37], out[37], same[37];
    for (int i = 0; i < 37; ++i) in[i] = same[i] = float(i - 18) / 3;
    GELU<>::apply_to<float, 37>(in, out);
    GELU<>::apply_to<float, 37>(same, same);
    for (int i = 0; i < 37; ++i) CHECK(out[i] == same[i]);
}
