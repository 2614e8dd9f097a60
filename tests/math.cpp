// math.hpp: vector results against the C library's, over the whole useful range.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include <typenet/math.hpp>
#include <typenet/detail/kernels/simd.hpp>

using namespace typenet;

namespace {

using V = detail::simd<float>::type;

template <class F, class R>
double worst_relative(F f, R reference, float from, float to, float step, double floor = 1e-30) {
    double worst = 0;
    for (float x = from; x < to; x += step) {
        const double expected = reference(double(x));
        const double got = f(math::splat<V>(x))[0];
        worst = std::max(worst, std::abs(got - expected) / std::max(floor, std::abs(expected)));
    }
    return worst;
}

}  // namespace

static_assert(math::splat<float>(0.5) == 0.5f);
static_assert(math::lanes<V> == detail::simd<float>::lanes && math::lanes<double> == 1);

TEST_CASE("float vectors: exp, expm1, tanh, log1p, erf within the documented bounds") {
    // Relative error below 3e-7 (a few float ulps; tanh 3.5e-7); erf's absolute error below 5e-7.
    CHECK(worst_relative([](V v) { return math::exp(v); }, [](double x) { return std::exp(x); }, -80, 80, 0.01f) < 3e-7);
    CHECK(worst_relative([](V v) { return math::expm1(v); }, [](double x) { return std::expm1(x); }, -20, 20, 0.001f) < 3e-7);
    CHECK(worst_relative([](V v) { return math::tanh(v); }, [](double x) { return std::tanh(x); }, -12, 12, 0.001f) < 3.5e-7);
    CHECK(worst_relative([](V v) { return math::log1p(v); }, [](double x) { return std::log1p(x); }, -0.99f, 50, 0.001f) < 3e-7);
    CHECK(worst_relative([](V v) { return math::erf(v); }, [](double x) { return std::erf(x); }, -6, 6, 0.001f, 1.0) < 5e-7);
}

TEST_CASE("float vectors: special values as the C library gives them") {
    const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
    for (auto f : {+[](V v) { return math::exp(v); }, +[](V v) { return math::expm1(v); },
                   +[](V v) { return math::tanh(v); }, +[](V v) { return math::log1p(v); },
                   +[](V v) { return math::erf(v); }})
        CHECK(std::isnan(f(math::splat<V>(nan))[0]));
    CHECK(math::exp(math::splat<V>(200))[0] == inf);
    CHECK(math::exp(math::splat<V>(-200))[0] == 0);
    CHECK(math::tanh(math::splat<V>(inf))[0] == 1);
    CHECK(math::tanh(math::splat<V>(-inf))[0] == -1);
    CHECK(math::log1p(math::splat<V>(inf))[0] == inf);
    CHECK(math::log1p(math::splat<V>(-1))[0] == -inf);
    CHECK(std::isnan(math::log1p(math::splat<V>(-2))[0]));
    CHECK(math::sigmoid(math::splat<V>(-100))[0] == 0);
    CHECK(math::sigmoid(math::splat<V>(100))[0] == 1);
}

TEST_CASE("double vectors and scalars use the C library exactly") {
    using D = detail::simd<double>::type;
    for (double x : {-3.5, -0.1, 0.0, 1e-9, 2.0, 30.0}) {
        CHECK(math::exp(math::splat<D>(x))[0] == std::exp(x));
        CHECK(math::tanh(math::splat<D>(x))[0] == std::tanh(x));
        CHECK(math::erf(x) == std::erf(x));
        CHECK(math::expm1(float(x)) == std::expm1(float(x)));
    }
}
